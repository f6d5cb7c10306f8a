// `sluice demo`: generates a sample dataset of small Parquet files across hive partitions
// (demo/sample_dataset.h), compacts it with `sluice compact`'s job (live stage view, verdict),
// verifies the output row by row and prints the summary. `--synthetic` runs the older synthetic
// compaction-shaped pipeline (demo/demo_pipeline.h) instead.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddDemoCommand(CLI::App& app);

}  // namespace sluice::cli
