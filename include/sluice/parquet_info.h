// What a Parquet file holds, read from its footer alone (no data pages): its columns and rows.
//
// Thread safety: each call is independent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::api {

struct ColumnInfo {
  std::string name;
  // The column's type as sluice reads it: "int64", "string", "float64", "date32",
  // "timestamp[us, tz=UTC]", "decimal128(10, 2)", ...
  std::string type;
  bool nullable = true;
};

struct ParquetInfo {
  int64_t rows = 0;
  int row_groups = 0;
  std::vector<ColumnInfo> columns;  // the top-level columns, in file order
};

// The schema and row count of the Parquet file at `path` (a local path or an s3:// URL).
// Error with kNotFound for a missing file, kInvalidData for one that is not Parquet.
ParquetInfo ReadParquetInfo(const std::string& path);

}  // namespace sluice::api
