// `sluice worker --job NAME`: joins an existing job (created by `sluice run`, possibly on another
// machine sharing a PostgreSQL ledger) and processes its partitions until the job is complete.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddWorkerCommand(CLI::App& app);

}  // namespace sluice::cli
