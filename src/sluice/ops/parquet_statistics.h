// The footer statistics of a Parquet column chunk as a Predicate reads them (ColumnStatistics in
// the sluice column's comparison domain), so a scan can skip row groups no row of which passes.
// Only what is certain is given: min and max when the column's physical values are its sluice
// values (or a widening of them) in a defined order, else just the row and null counts; with a
// source, the chunk's Bloom filter (parquet_bloom_filter.h), read the first time it is asked.
//
// Thread safety: a pure function.
#pragma once

#include <optional>

#include "sluice/io/parquet/footer.h"
#include "sluice/ops/predicate.h"

namespace sluice {

// `leaf` is the column chunk's index in the row group; `type` the sluice type it reads as.
// `source` (the file, outliving the result) is where a Bloom filter is read from; null for none.
std::optional<ColumnStatistics> ParquetColumnStatistics(
    const parquet::ParquetFooter& footer, int row_group, int leaf, const DataType& type,
    parquet::RandomAccessSource* source = nullptr);

// The chunk's page index as page statistics (one ranged read per part); nullopt when the chunk
// has none or it cannot be read (an optional index proves nothing, so no error is raised).
std::optional<ColumnPageStatistics> ParquetColumnPageStatistics(
    parquet::RandomAccessSource& source, const parquet::ParquetFooter& footer, int row_group,
    int leaf, const DataType& type);

}  // namespace sluice
