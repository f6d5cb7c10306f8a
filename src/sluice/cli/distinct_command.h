// `sluice distinct IN... [--by COLS] -o OUT`: the distinct rows of a table (Parquet or CSV
// files), or with --by one row per distinct key, the first in input order (deduplicate). It is a
// group-by without aggregates (or with first() of the other columns), so it shares the
// group-by's memory budget, spill, coalescing and report; columns keep the input's order.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddDistinctCommand(CLI::App& app);

}  // namespace sluice::cli
