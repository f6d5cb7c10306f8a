// `sluice cat FILE... [--columns a,b] [--limit N] [--format csv|jsonl]`: prints the rows of
// Parquet files. CSV is RFC 4180 with a header line, nulls as empty fields; JSON lines hold one
// object per row with nulls as null. Timestamps print in ISO 8601 (with Z when the column is
// UTC-adjusted), dates as YYYY-MM-DD, decimals exactly, binary as 0x-prefixed hex. Without
// --columns, nested columns are left out with a note on stderr; naming one is an error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddCatCommand(CLI::App& app);

}  // namespace sluice::cli
