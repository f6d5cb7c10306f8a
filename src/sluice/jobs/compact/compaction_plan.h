// The compaction plan of one partition: which input row groups go, in which order, into which
// output row group of which output file. Planning reads only footers.
//
//   1. Schemas are unified (schema_union.h): by name by default, columns some files lack
//      becoming nulls there and compatible widenings re-encoding only the files that need it;
//      strictly with --no-union-by-name. --order-by on a nested leaf is NotSupported.
//   2. Row groups are ordered by file (sorted paths) and position, or, with order_by, by the
//      minimum statistic of that column (stable; row groups without one go last, and so do those
//      of files that lack the column; a widened file's minimum is widened to compare). This orders
//      row groups, not rows: output is sorted when the inputs' row groups are sorted and disjoint.
//   3. Consecutive row groups are binned into output row groups: a bin closes before a row group
//      that would take it past row_group_rows or row_group_bytes (on-disk bytes).
//   4. Consecutive output row groups are grouped into files the same way by target_file_bytes.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/io/parquet/footer.h"
#include "sluice/jobs/compact/compact_options.h"

namespace sluice::compact {

struct InputFile {
  std::string path;
  int64_t size = 0;
  std::shared_ptr<const parquet::ParquetFooter> footer;
  int64_t modified_ns = 0;  // last modification as listed (0 when unknown): the newest file's
                            // field order is the output's
};

struct RowGroupRef {
  int file = 0;  // index into the partition's input files
  int row_group = 0;
  int64_t rows = 0;
  int64_t bytes = 0;  // on-disk bytes of its column chunks
};

struct OutputRowGroupPlan {
  std::vector<RowGroupRef> inputs;
  int64_t rows = 0;
  int64_t bytes = 0;
};

struct OutputFilePlan {
  std::string name;  // "part-00000.parquet"
  std::vector<OutputRowGroupPlan> row_groups;
  int64_t rows = 0;
  int64_t bytes = 0;
};

struct PartitionPlan {
  std::vector<parquet::SchemaElement> schema;  // the output's schema list
  std::shared_ptr<const parquet::ParquetSchema> columns;
  // column_map[file][output column] = that file's leaf index for the column, -1 where the file
  // lacks it (its rows are null there).
  std::vector<std::vector<int>> column_map;
  // reencode[file][output column]: that file's chunks of the column are decoded and re-encoded
  // (widened, or made OPTIONAL), not copied.
  std::vector<std::vector<bool>> reencode;
  std::vector<OutputFilePlan> files;
  int64_t rows = 0;
  int64_t bytes_in = 0;  // input files' sizes
  int64_t row_groups_in = 0;
  int64_t row_groups_out = 0;
};

PartitionPlan PlanPartition(const std::vector<InputFile>& files, const CompactOptions& options);

}  // namespace sluice::compact
