// `sluice batch`: runs an external command once per chunk of inputs split by grouping columns,
// with a per-chunk cache (jobs/batch/batched_job.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddBatchCommand(CLI::App& app);

}  // namespace sluice::cli
