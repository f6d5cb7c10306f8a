// `sluice inspect FILE [--json]`: prints a Parquet file's metadata (schema with the sluice type of
// each column, row groups, column chunks with codec, encodings, sizes and statistics) from one
// ranged read of its footer, as readable text or JSON.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddInspectCommand(CLI::App& app);

}  // namespace sluice::cli
