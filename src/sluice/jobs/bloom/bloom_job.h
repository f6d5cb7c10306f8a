// The bloom job: many CSV files into one split-block Bloom filter over one column, on the flow
// executor:
//
//   files (source) -> read (I/O: one task per file cuts it into row-aligned chunks; gzip/zstd
//   decompressed here) -> parse (CPU: find field boundaries, XXH64 of the one column's bytes
//   straight from the chunk, no record batches) -> insert (Reduce: per-task partial filters,
//   ORed together at the end)
//
// The filter is sized for expected_items at the target false-positive rate. Without a given
// count it is estimated from the input size and a sample's bytes per row (uncompressed inputs),
// or counted in a first parallel pass (compressed inputs, or when asked). Partial filters: at
// most the CPU threads, and only as many as fit half the memory budget beside each other; the
// pipeline gets the rest of the budget for chunks in flight. Null values are not inserted.
//
// With a row filter (`where`) or Parquet inputs the job reads through a table scan instead
// (bloom_scan.h): only the passing rows' values go in.
//
// Thread safety: RunBloomJob runs one job; call it from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/io/csv/csv_reader.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/ops/bloom/bloom_filter_file.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

enum class BloomSizing { kAuto, kEstimate, kCount };

struct BloomJobOptions {
  std::vector<std::string> inputs;  // files, globs or directories
  std::string column;
  double fpr = 0.01;
  int64_t expected_items = 0;  // 0: estimate or count (sizing)
  BloomSizing sizing = BloomSizing::kAuto;
  std::string output;  // "" writes nothing
  csv::CsvReadOptions csv;
  std::string where;  // a row filter (ops/predicate_parser.h), "" for none
};

struct BloomJobResult {
  BloomFilterFile file;
  int64_t rows = 0;   // well-formed rows read
  int64_t nulls = 0;  // rows whose value was null (not inserted)
  int64_t bad_rows = 0;
  std::vector<std::string> bad_row_examples;
  int64_t input_files = 0;
  int64_t input_bytes = 0;  // on disk
  int partial_filters = 0;
  std::string sizing_note;  // how the filter was sized, for the user
  RunReport report;         // the main pass
  // The scan the values came from, for its filter statistics (where_flag.h); null on the CSV
  // byte path.
  std::shared_ptr<const TableScan> scan;
};

// How many items the filter is sized for, how ("given", "estimated", "counted": the file's
// sizing) and a note for the user.
struct BloomSize {
  int64_t expected = 0;
  std::string sizing;
  std::string note;
};

// The sizing RunBloomJob would choose for these options (a counting pass runs here when it
// would run there), so that a job split across hosts gives every partial filter that one size.
BloomSize SizeBloomFilter(const BloomJobOptions& options, const RunOptions& run);

// Inputs and output go through `fs` when given, else each through fs::FileSystemFor (s3:// URLs
// or local paths; the inputs are all one or all the other). The scan path always uses
// fs::FileSystemFor.
BloomJobResult RunBloomJob(const BloomJobOptions& options, const RunOptions& run,
                           std::shared_ptr<fs::FileSystem> fs = nullptr);

}  // namespace sluice
