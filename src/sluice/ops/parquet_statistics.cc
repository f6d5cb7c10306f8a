#include "sluice/ops/parquet_statistics.h"

#include <cstring>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/statistics_merge.h"
#include "sluice/ops/parquet_bloom_filter.h"

namespace sluice {
namespace {

template <typename T>
bool Load(const std::string& bytes, T& out) {
  if (bytes.size() != sizeof(T)) return false;
  std::memcpy(&out, bytes.data(), sizeof(T));
  return true;
}

// One encoded min or max in the domain of `type`; monostate when it cannot be read as such.
ColumnStatistics::Value Decode(const std::string& bytes, parquet::PhysicalType physical,
                               const DataType& type) {
  using parquet::PhysicalType;
  int32_t i32 = 0;
  int64_t i64 = 0;
  float f32 = 0;
  double f64 = 0;
  uint8_t b = 0;
  switch (type.id()) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kDate32:
      if (physical == PhysicalType::kInt32 && Load(bytes, i32)) return int64_t{i32};
      break;
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
      if (physical == PhysicalType::kInt32 && Load(bytes, i32)) {
        return uint64_t{static_cast<uint32_t>(i32)};
      }
      break;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      if (physical == PhysicalType::kInt64 && Load(bytes, i64)) return i64;
      break;
    case TypeId::kUInt64:
      if (physical == PhysicalType::kInt64 && Load(bytes, i64)) return static_cast<uint64_t>(i64);
      break;
    case TypeId::kFloat32:
      if (physical == PhysicalType::kFloat && Load(bytes, f32)) return double{f32};
      break;
    case TypeId::kFloat64:
      if (physical == PhysicalType::kDouble && Load(bytes, f64)) return f64;
      break;
    case TypeId::kBool:
      if (physical == PhysicalType::kBoolean && Load(bytes, b)) return int64_t{b != 0};
      break;
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      if (physical == PhysicalType::kByteArray || physical == PhysicalType::kFixedLenByteArray) {
        return bytes;
      }
      break;
    default:
      break;
  }
  return std::monostate{};
}

// Whether the stored values read as the sluice values unchanged or widened (INT96, FLOAT16 and
// decimals are converted, and their statistics are not used).
bool ValuesKeepOrder(parquet::ValueConversion conversion) {
  using parquet::ValueConversion;
  return conversion == ValueConversion::kNone || conversion == ValueConversion::kInt32ToInt8 ||
         conversion == ValueConversion::kInt32ToInt16 ||
         conversion == ValueConversion::kInt32ToUInt8 ||
         conversion == ValueConversion::kInt32ToUInt16;
}

// Asks the chunk's Bloom filter, read on the first question.
std::function<bool(const ColumnStatistics::Value&)> BloomLookup(
    parquet::RandomAccessSource& source, const parquet::ColumnMetaData& column) {
  struct State {
    bool read = false;
    std::optional<SplitBlockBloomFilter> filter;
  };
  auto state = std::make_shared<State>();
  return [state, &source, column](const ColumnStatistics::Value& value) {
    if (!state->read) {
      state->filter = ReadParquetBloomFilter(source, column);
      state->read = true;
    }
    const std::optional<uint64_t> hash = ParquetBloomHash(value, column.type);
    return !state->filter || !hash || state->filter->MightContain(*hash);
  };
}

// Whether min and max of this leaf can be read in the sluice type's domain.
bool MinMaxUsable(const parquet::ColumnDescriptor& column) {
  if (column.nested || !ValuesKeepOrder(parquet::ResolveColumnType(column).conversion)) {
    return false;
  }
  const parquet::StatisticsOrder order = parquet::StatisticsOrderOf(column);
  return order != parquet::StatisticsOrder::kUndefined &&
         order != parquet::StatisticsOrder::kSignedBigEndian;
}

}  // namespace

std::optional<ColumnStatistics> ParquetColumnStatistics(const parquet::ParquetFooter& footer,
                                                        int row_group, int leaf,
                                                        const DataType& type,
                                                        parquet::RandomAccessSource* source) {
  const parquet::RowGroup& group = footer.metadata.row_groups[static_cast<size_t>(row_group)];
  const parquet::ColumnChunk& chunk = group.columns[static_cast<size_t>(leaf)];
  if (!chunk.meta_data || !chunk.meta_data->statistics) return std::nullopt;
  const parquet::Statistics& stats = *chunk.meta_data->statistics;
  ColumnStatistics out;
  out.rows = group.num_rows;
  out.null_count = stats.null_count;
  out.nan_count = stats.nan_count;
  const parquet::ColumnDescriptor& column = footer.schema.columns()[static_cast<size_t>(leaf)];
  if (!MinMaxUsable(column)) return out;
  const parquet::StatisticsOrder order = parquet::StatisticsOrderOf(column);
  const std::optional<std::string> min = parquet::StatisticsMin(stats, order);
  const std::optional<std::string> max = parquet::StatisticsMax(stats, order);
  if (min && max) {
    out.min = Decode(*min, column.physical_type, type);
    out.max = Decode(*max, column.physical_type, type);
  }
  if (source != nullptr && chunk.meta_data->bloom_filter_offset &&
      !std::holds_alternative<std::monostate>(out.min)) {
    out.might_contain = BloomLookup(*source, *chunk.meta_data);
  }
  return out;
}

std::optional<ColumnPageStatistics> ParquetColumnPageStatistics(
    parquet::RandomAccessSource& source, const parquet::ParquetFooter& footer, int row_group,
    int leaf, const DataType& type) {
  const parquet::RowGroup& group = footer.metadata.row_groups[static_cast<size_t>(row_group)];
  const parquet::ColumnChunk& chunk = group.columns[static_cast<size_t>(leaf)];
  if (!chunk.column_index_offset || !chunk.offset_index_offset) return std::nullopt;
  parquet::ColumnPageIndex index;
  try {
    index = parquet::ReadColumnPageIndex(source, chunk);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!index.column_index || !index.offset_index) return std::nullopt;
  const parquet::ColumnIndex& ci = *index.column_index;
  const std::vector<parquet::PageLocation>& locations = index.offset_index->page_locations;
  const parquet::ColumnDescriptor& column = footer.schema.columns()[static_cast<size_t>(leaf)];
  const bool ordered = MinMaxUsable(column);
  ColumnPageStatistics out;
  for (size_t p = 0; p < locations.size(); ++p) {
    const int64_t first = locations[p].first_row_index;
    const int64_t end =
        p + 1 < locations.size() ? locations[p + 1].first_row_index : group.num_rows;
    ColumnStatistics page;
    page.rows = end - first;
    if (p < ci.null_counts.size()) page.null_count = ci.null_counts[p];
    if (p < ci.nan_counts.size()) page.nan_count = ci.nan_counts[p];
    if (ci.null_pages[p]) {
      page.null_count = page.rows;
    } else if (ordered) {
      page.min = Decode(ci.min_values[p], column.physical_type, type);
      page.max = Decode(ci.max_values[p], column.physical_type, type);
    }
    out.first_rows.push_back(first);
    out.pages.push_back(std::move(page));
  }
  return out;
}

}  // namespace sluice
