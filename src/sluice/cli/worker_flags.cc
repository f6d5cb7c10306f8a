#include "sluice/cli/worker_flags.h"

#include <algorithm>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/log.h"

namespace sluice::cli {

void WorkerFlags::Add(CLI::App& command, bool log_level_flag) {
  owns_log_level = log_level_flag;
  command.add_option("--workers", workers, "Partitions processed at once (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--lease", lease_seconds,
                  "Seconds a claimed partition stays ours without a heartbeat; a worker silent "
                  "for longer is presumed dead and its partitions go to others")
      ->capture_default_str();
  command
      .add_option("--retry-delay", retry_delay_seconds,
                  "Backoff before the first retry of a failed partition, doubling per attempt "
                  "(with jitter, at most 60 s)")
      ->capture_default_str();
  command
      .add_option("--claim-batch", claim_batch,
                  "Most partitions claimed per ledger transaction (1: none claimed ahead of "
                  "free slots)")
      ->capture_default_str();
  if (!owns_log_level) return;
  command.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->capture_default_str();
}

jobs::WorkerOptions WorkerFlags::ToOptions() const {
  if (owns_log_level) SetLogLevel(ParseLogLevel(log_level));
  jobs::WorkerOptions options;
  options.slots =
      workers > 0 ? workers : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (!(lease_seconds >= 0.3)) {
    throw InvalidArgument("--lease must be at least 0.3 seconds, not {}", lease_seconds);
  }
  if (!(retry_delay_seconds >= 0)) {
    throw InvalidArgument("--retry-delay must not be negative, not {}", retry_delay_seconds);
  }
  if (claim_batch < 1) throw InvalidArgument("--claim-batch must be at least 1");
  options.lease = ledger::Duration(static_cast<int64_t>(lease_seconds * 1000));
  options.backoff_base = ledger::Duration(static_cast<int64_t>(retry_delay_seconds * 1000));
  options.claim_batch = claim_batch;
  return options;
}

}  // namespace sluice::cli
