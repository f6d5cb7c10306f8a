// Flags every job command shares (--memory, --threads, --report, --progress, --log-level) and
// their translation into flow RunOptions.
//
// Thread safety: plain values; filled by CLI11 on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sluice/flow/options.h"

namespace sluice::cli {

struct JobFlags {
  std::string memory = "1GiB";
  int threads = 0;
  std::string report;
  std::string progress = "auto";
  std::string log_level = "info";

  // Registers the flags on a subcommand; default_memory overrides the job's default budget.
  void Add(CLI::App& command, const std::string& default_memory);
  // Validates the flags; throws InvalidArgument naming the flag.
  RunOptions ToRunOptions(const CancellationToken& cancel) const;
};

}  // namespace sluice::cli
