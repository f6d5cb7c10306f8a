// `sluice compact SRC DST`: compacts a partitioned Parquet dataset (jobs/compact/compact_job.h).
//
// Thread safety: called once from main.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddCompactCommand(CLI::App& app);

}  // namespace sluice::cli
