// BatchInput: one named input of a batched job: Parquet files, CSV files (paths, globs or
// directories, local or s3://) or record batches already in memory. OpenBatchInput turns it into a
// TableScan (ops/table_scan.h), which the split phase reads unit by unit.
//
// Thread safety: plain values; OpenBatchInput may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/io/csv/csv_reader.h"
#include "sluice/jobs/batch/file_stamp.h"
#include "sluice/ops/table_scan.h"
#include "sluice/table/record_batch.h"

namespace sluice {

struct BatchInput {
  enum class Format { kParquet, kCsv, kBatches };

  std::string name;  // letters, digits, '_', '-' and '.'; unique within the job
  Format format = Format::kParquet;
  std::vector<std::string> paths;  // files, globs or directories (Parquet, CSV)
  csv::CsvReadOptions csv;         // CSV
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;  // in memory
  // A row filter (ops/predicate_parser.h syntax), "" for none: only passing rows reach the
  // chunks; Parquet row groups it rules out by their statistics are not read.
  std::string where;
  // True when `paths` are the matched files themselves (Files and a batched run set it): they
  // are not matched again, which on an object store would cost a request per file.
  bool paths_matched = false;

  static BatchInput Parquet(std::string name, std::vector<std::string> paths);
  static BatchInput Csv(std::string name, std::vector<std::string> paths,
                        csv::CsvReadOptions options = {});
  static BatchInput Batches(std::string name, std::shared_ptr<const Schema> schema,
                            std::vector<RecordBatch> batches);
  // Parquet or CSV by the matched files' extensions (.parquet; .csv, .csv.gz, .csv.zst, .tsv);
  // InvalidArgument when they mix, NotFound when a pattern matches nothing.
  static BatchInput Files(std::string name, std::vector<std::string> patterns);
};

// InvalidArgument for a bad or duplicate name is checked by the job; this opens the data:
// NotFound for patterns without matches, InvalidData for files whose schemas differ,
// InvalidArgument for a `where` that does not parse or bind.
std::shared_ptr<TableScan> OpenBatchInput(const BatchInput& input);

// What reading one unit of the opened input holds before it hands anything over, an estimate:
// for Parquet, a row group's uncompressed bytes three times (its stored chunks, its decoded
// batches, decoding scratch); for CSV, a raw chunk and its copy being cut; nothing for batches
// already in memory.
int64_t UnitReadBytes(const BatchInput& input, const TableScan& scan);

// InvalidArgument naming the input unless the name is usable as a directory and placeholder.
void CheckInputName(const std::string& name);

// The files a Parquet or CSV input names, each glob's matches sorted (NotFound for a pattern
// without matches), through fs::FileSystemFor (s3:// patterns list the store).
std::vector<std::string> ExpandInputPaths(const BatchInput& input);

}  // namespace sluice
