// `sluice bloom PATTERN... --column C [--fpr P] [--expected-items N] [--where EXPR] -o FILE`:
// builds a Parquet split-block Bloom filter over one column of many CSV (or Parquet) files
// (jobs/bloom/bloom_job.h), with the live stage view and the executor's verdict; prints how the
// filter was sized, rows, nulls and bad rows, and what the row filter skipped (where_flag.h).
// `sluice bloom check FILE [VALUE... | -] [--count]`: one line per value, "VALUE<TAB>maybe|no"
// (values from the arguments, or one per line on standard input with `-` or no values);
// --count prints only how many were maybe.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddBloomCommand(CLI::App& app);

}  // namespace sluice::cli
