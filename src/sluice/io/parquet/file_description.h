// DescribeParquetFile: what a Parquet file's footer says, as a JSON document that `sluice
// inspect` prints (as text or as it is): the schema with each column's physical, logical and
// sluice type, and per row group each column chunk's codec, encodings, sizes and statistics, the
// statistics printed as values of the column's type (hex when they cannot be decoded).
//
// Thread safety: pure function of the reader's footer.
#pragma once

#include <nlohmann/json.hpp>

#include "sluice/io/parquet/file_reader.h"

namespace sluice::parquet {

// {"file", "file_size", "num_rows", "num_row_groups", "format_version", "created_by"?,
//  "columns": [{"path", "physical_type", "repetition", "type"}],
//  "row_groups": [{"index", "num_rows", "total_byte_size", "columns": [{"path", "codec",
//  "encodings", "num_values", "compressed_size", "uncompressed_size", "data_page_offset",
//  "dictionary_page_offset"?, "statistics"?: {"min"?, "max"?, "null_count"?,
//  "distinct_count"?}}]}]}
nlohmann::ordered_json DescribeParquetFile(const ParquetFileReader& reader);

}  // namespace sluice::parquet
