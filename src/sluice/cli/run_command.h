// `sluice run`: creates (or resumes) a partitioned job that runs an external command per
// partition, streams the partitions into the ledger while a local worker already processes them,
// and prints the job's summary when it is complete.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddRunCommand(CLI::App& app);

}  // namespace sluice::cli
