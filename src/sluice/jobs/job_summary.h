// JobSummary: the result of a finished job, stored in the ledger (JobRecord::summary_json) and
// printed: partition counts, retries, attempt durations, and the failed partitions with their
// errors. FinishJobIfComplete is how any process that sees a job complete closes it.
//
// Thread safety: functions over a Ledger, which serializes its own calls.
#pragma once

#include <optional>
#include <string>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

// {"done": n, "failed": n, "retries": n, "partitions": n, "duration_ms": {"total","max","mean"},
//  "wall_ms": n, "failures": [{"key", "attempts", "error"}, ... at most 100]}.
std::string BuildJobSummary(ledger::Ledger& ledger, ledger::JobId job);

// When the job is running, sealed and has nothing pending or running: finishes it (done, or failed
// when any partition failed) with its summary and returns the final status.
std::optional<ledger::JobStatus> FinishJobIfComplete(ledger::Ledger& ledger, ledger::JobId job);

// Human-readable lines for a summary made by BuildJobSummary.
std::string FormatJobSummary(const ledger::JobRecord& job, const std::string& summary_json);

}  // namespace sluice::jobs
