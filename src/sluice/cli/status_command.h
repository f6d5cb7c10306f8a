// `sluice status [JOB] [--json]`: every job's progress, or one job's progress in detail: partition
// counts, rate, ETA, the leases each worker holds, and the summary once finished.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddStatusCommand(CLI::App& app);

}  // namespace sluice::cli
