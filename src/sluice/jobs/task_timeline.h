// TaskTimelineJson: a ledger job's partition attempts, read back from its events, as the HTML
// report draws them (flow/report_page/report.js): one row per worker (the claim's owner, a host,
// process and slot), one bar per attempt from its claim to its end, with the outcome (done,
// retried, failed, released, expired: its lease ran out and another attempt took the partition,
// running) and the error; each partition's output bytes (its manifest's "bytes") for the histogram
// that marks skewed partitions; and the partitions running, done and failed over time.
//
//   {"origin_ms": <first claim, database clock>, "end_s": <last event, or now while running>,
//    "total": <partitions in the job>,
//    "attempts": [{"partition", "attempt", "worker", "start_s", "end_s", "outcome", "error"}],
//    "partitions": [{"key", "status", "bytes"}],
//    "progress": [{"t", "running", "done", "failed"}]}
//
// "progress" holds the counts after each change, at most kMaxProgressPoints of them (changes
// closer together than end_s / kMaxProgressPoints are merged), from 0 to end_s.
//
// Thread safety: as the ledger's calls (one Ledger serializes them).
#pragma once

#include <nlohmann/json.hpp>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

inline constexpr int kMaxProgressPoints = 600;

nlohmann::json TaskTimelineJson(ledger::Ledger& ledger, ledger::JobId job);

}  // namespace sluice::jobs
