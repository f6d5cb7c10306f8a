// Statistics of concatenated column chunks, computed from the inputs' statistics without reading
// any values: the smallest min, the largest max (compared in the column's sort order) and the sum
// of null counts. Every input must carry the field for the output to carry it; a chunk without a
// min (all nulls) does not constrain the min. Columns whose order is not defined (INT96,
// FLOAT16, INTERVAL) get no min or max.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/schema.h"

namespace sluice::parquet {

enum class StatisticsOrder { kSigned, kUnsigned, kFloat, kBool, kSignedBigEndian, kUndefined };

// The order min_value/max_value use for this leaf (LogicalTypes.md sort orders).
StatisticsOrder StatisticsOrderOf(const ColumnDescriptor& column);

// <0, 0, >0 as a < b, a == b, a > b for two encoded statistics values of `column`'s type.
// InvalidData when a value has the wrong width for the type.
int CompareStatisticsValues(const ColumnDescriptor& column, StatisticsOrder order,
                            std::string_view a, std::string_view b);

// The min (or max) value of a chunk: min_value, else the deprecated min for orders where it
// means the same (signed integers, floats, booleans).
std::optional<std::string> StatisticsMin(const Statistics& stats, StatisticsOrder order);
std::optional<std::string> StatisticsMax(const Statistics& stats, StatisticsOrder order);

// The statistics of the concatenation of chunks with these statistics (null when a chunk has
// none). `values` are each chunk's value counts, used to tell all-null chunks apart.
std::optional<Statistics> MergeStatistics(const ColumnDescriptor& column,
                                          std::span<const std::optional<Statistics>> inputs,
                                          std::span<const int64_t> values);

}  // namespace sluice::parquet
