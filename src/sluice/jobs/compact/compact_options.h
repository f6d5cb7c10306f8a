// CompactOptions: what `sluice compact` is asked to do, shared by the planner, the pipeline and the
// job driver. Sizes are on-disk (compressed) bytes: a row group or file closes before the next
// input row group would take it past its target.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/jobs/compact/reader_compat.h"

namespace sluice::compact {

struct CompactOptions {
  std::string source;       // SRC: a directory of hive-style partition directories
  std::string destination;  // DST: one directory per partition is committed here
  int64_t target_file_bytes = int64_t{256} << 20;
  int64_t row_group_bytes = int64_t{128} << 20;  // 0: unbounded (rows decide)
  int64_t row_group_rows = 0;                    // 0: unbounded (bytes decide)
  std::string order_by;                          // "" keeps file order
  // Rows sorted across each partition's output (sorted_partition.h): "col[:desc],..." as
  // ops/sort/sort_key.h parses it; "" for none.
  std::string sort_by;
  // Rows clustered by the Z-order of these columns' ranks (zorder_key.h); empty for none.
  std::vector<std::string> zorder_by;
  parquet::CompressionCodec codec = parquet::CompressionCodec::kSnappy;
  std::optional<int> compression_level;
  int64_t max_dictionary_bytes = int64_t{2} << 20;
  // Match the files' columns by name, nulls where a file lacks one, compatible types widened
  // (schema_union.h); false: every file must have the first file's schema.
  bool union_by_name = true;
  ReaderCompat compat = ReaderCompat::kAny;  // which readers must be able to read the output
  // Write a ColumnIndex/OffsetIndex for every column chunk (copied pages too: from their headers).
  bool page_index = true;
  // Columns (dotted leaf paths) given split-block Bloom filters, sized for `bloom_filter_fpp`.
  std::vector<std::string> bloom_filter_columns;
  double bloom_filter_fpp = 0.01;
  bool verify = false;         // decode inputs and outputs and compare their rows
  bool delete_source = false;  // after the partition's outputs are committed and verified
  bool dry_run = false;
  std::string spill_dir;  // where --sort-by and --zorder-by spill; "" for the system temp dir

  // Whether rows are sorted (--sort-by or --zorder-by), not pages copied.
  bool sorts_rows() const { return !sort_by.empty() || !zorder_by.empty(); }
  // The options that define the output, as JSON; a resumed job must match it.
  std::string WorkJson() const;
  // The options WorkJson wrote, from a job's stored options (fields beside them are ignored);
  // the others keep their defaults. InvalidData naming the field when one is missing or wrong.
  static CompactOptions FromWorkJson(std::string_view json);
};

}  // namespace sluice::compact
