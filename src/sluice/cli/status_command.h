// `sluice status [JOB] [--json] [--ui [ADDR]]`: every job's progress, or one job's progress in
// detail: partition counts, rate, ETA, the leases each worker holds, and the summary once
// finished. With --ui, one job served live as the HTML report's page (cli/live_ui.h): its task
// timeline across all workers and its partitions over time, read from the ledger each second.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddStatusCommand(CLI::App& app);

}  // namespace sluice::cli
