// `sluice retry JOB`: makes the job's failed partitions pending again with fresh attempts; the
// next `sluice run` (same arguments) or `sluice worker --job JOB` processes them.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddRetryCommand(CLI::App& app);

}  // namespace sluice::cli
