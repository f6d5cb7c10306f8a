// A sample dataset in the shape `sluice compact` is for: hive partitions (date=2026-01-01, ...)
// of many small Parquet files with a few row groups each, written by our writer with snappy and
// dictionaries. Columns: ts (timestamp[us, UTC]), user_id (int64), country (low-cardinality
// string), url (string, about 5,000 distinct values), amount (double), flag (nullable bool),
// score (nullable int32). Each file draws its URLs from its own window of the 5,000, so files'
// dictionaries differ and compaction must merge them. Used by `sluice demo`.
//
// Thread safety: pure function of its arguments (writes only under `root`).
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

struct SampleDatasetShape {
  int partitions = 4;
  int files_per_partition = 40;
  int64_t rows_per_file = 20000;
  int row_groups_per_file = 4;
  uint64_t seed = 1;
};

struct SampleDatasetInfo {
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t rows = 0;
};

SampleDatasetInfo WriteSampleDataset(const std::string& root, const SampleDatasetShape& shape);

}  // namespace sluice
