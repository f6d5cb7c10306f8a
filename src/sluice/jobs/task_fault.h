// TaskFaultAction: what a worker does with the error a partition's task threw. Most errors fail
// the attempt, and the ledger retries the partition until its attempts are used up. A failure of
// the system that a retry would meet again (system_failure.h) is handled by whose it is:
//  - shared by every partition: a full disk or quota, a read-only file system, no access to the
//    attempt's output directory (or an error naming no file). The worker stops with the error and
//    gives the partition back uncharged: every partition would meet it, and once the user fixed
//    the cause the same command completes, without `sluice retry`.
//  - the partition's own: no access to a file outside its output (one of its inputs). The
//    partition fails for good at once (Ledger::FailPermanently), so that no other worker or
//    resume spends attempts on it, and the worker goes on with the other partitions; `sluice
//    retry` (Ledger::RequeueFailed) brings it back once the cause is fixed.
// A device's I/O error (EIO) may pass: the first attempt is retried; met again on a retry it is
// handled as above.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <filesystem>

#include "sluice/base/error.h"

namespace sluice::jobs {

enum class TaskFaultAction { kRetry, kStopWorker, kFailPermanently };

// `attempt`: the lease's attempt (1 for the first); `output_dir`: the attempt's private output
// directory, empty when the task writes no committed output.
TaskFaultAction TaskFaultActionFor(const Error& error, int64_t attempt,
                                   const std::filesystem::path& output_dir);

// A full disk or quota (ENOSPC, EDQUOT) of whatever origin, as opposed to other resources a task
// can run out of (memory), which fail only their partition.
bool IsDiskFull(const Error& error);

}  // namespace sluice::jobs
