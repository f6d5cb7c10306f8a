// `sluice groupby IN... --by COLS --agg EXPRS -o OUT`: a hash group-by over Parquet files (paths,
// globs or directories), written as Parquet or CSV by OUT's extension. The output appears only
// when complete (written to a temporary name, then renamed).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddGroupByCommand(CLI::App& app);

}  // namespace sluice::cli
