// `sluice worker --job NAME | --any`: joins jobs defined in the ledger (by `run`, `compact`, or
// their `--submit`), possibly created on another machine sharing a PostgreSQL ledger, and works on
// their partitions until they are complete. The job's stored spec says what to run; this
// process's flags say only how much of this host to use.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddWorkerCommand(CLI::App& app);

}  // namespace sluice::cli
