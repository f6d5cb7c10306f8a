// `sluice join LEFT RIGHT --on KEYS [--how KIND] -o OUT`: a hash join of two tables stored as
// Parquet or CSV files (paths or globs), written as Parquet or CSV by OUT's extension, inside
// --memory, spilling partitions under --spill-dir when the smaller side does not fit.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddJoinCommand(CLI::App& app);

}  // namespace sluice::cli
