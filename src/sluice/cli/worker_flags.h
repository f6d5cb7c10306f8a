// Flags shared by `sluice run` and `sluice worker` that shape the local worker loop
// (--workers, --lease, --retry-delay, --claim-batch, --log-level) and their translation into
// jobs::WorkerOptions.
//
// Thread safety: plain values; filled by CLI11 on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sluice/jobs/worker.h"

namespace sluice::cli {

struct WorkerFlags {
  int workers = 0;  // default: one per core
  double lease_seconds = 30;
  double retry_delay_seconds = 1;
  int64_t claim_batch = 64;
  std::string log_level = "info";
  bool owns_log_level = true;

  // Without `log_level_flag` the command's other flags own --log-level (job_flags.h).
  void Add(CLI::App& command, bool log_level_flag = true);
  // InvalidArgument naming the flag; also applies --log-level when it was added here.
  jobs::WorkerOptions ToOptions() const;
};

}  // namespace sluice::cli
