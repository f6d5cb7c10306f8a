// TaskTimelineJson: a ledger job's partition attempts, read back from its events, as the HTML
// report draws them (flow/report_page/report.js): one row per worker (the claim's owner, a host,
// process and slot), one bar per attempt from its claim to its completion or failure, with the
// outcome (done, retried, failed, running) and the error; and each partition's output bytes (its
// manifest's "bytes") for the histogram that marks skewed partitions.
//
//   {"origin_ms": <first claim, database clock>,
//    "attempts": [{"partition", "attempt", "worker", "start_s", "end_s", "outcome", "error"}],
//    "partitions": [{"key", "status", "bytes"}]}
//
// Thread safety: as the ledger's calls (one Ledger serializes them).
#pragma once

#include <nlohmann/json.hpp>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

nlohmann::json TaskTimelineJson(ledger::Ledger& ledger, ledger::JobId job);

}  // namespace sluice::jobs
