// `sluice sort IN... --by col[:desc][,col...] -o OUT [--top N [--per cols]]`: an external merge
// sort of Parquet or CSV inputs (ops/sort/external_sort.h), a global top-N (--top without
// --per), or the top N rows of each group (--per, ops/sort/top_n.h); written as Parquet or CSV
// by OUT's extension, only when complete.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddSortCommand(CLI::App& app);

}  // namespace sluice::cli
