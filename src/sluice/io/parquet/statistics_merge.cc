#include "sluice/io/parquet/statistics_merge.h"

#include <cmath>
#include <cstring>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

template <typename T>
T Load(std::string_view bytes) {
  if (bytes.size() != sizeof(T)) {
    throw InvalidData("a statistics value has {} bytes, expected {}", bytes.size(), sizeof(T));
  }
  T value;
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

template <typename T>
int Compare3(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareUnsignedBytes(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return Compare3(a.size(), b.size());
}

// Two's complement big-endian integers of possibly different lengths.
int CompareSignedBigEndian(std::string_view a, std::string_view b) {
  bool a_neg = !a.empty() && (static_cast<uint8_t>(a[0]) & 0x80);
  bool b_neg = !b.empty() && (static_cast<uint8_t>(b[0]) & 0x80);
  if (a_neg != b_neg) return a_neg ? -1 : 1;
  // Sign-extend the shorter one to the longer's length, then compare bytes unsigned.
  size_t n = std::max(a.size(), b.size());
  auto at = [n](std::string_view v, bool neg, size_t i) -> uint8_t {
    size_t pad = n - v.size();
    if (i < pad) return neg ? 0xff : 0x00;
    return static_cast<uint8_t>(v[i - pad]);
  };
  for (size_t i = 0; i < n; ++i) {
    uint8_t x = at(a, a_neg, i), y = at(b, b_neg, i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool IsDecimal(const ColumnDescriptor& column) {
  const SchemaElement& e = column.element;
  if (e.logical_type && e.logical_type->kind == LogicalType::Kind::kDecimal) return true;
  return e.converted_type == ConvertedType::kDecimal;
}

bool IsUnsignedInteger(const ColumnDescriptor& column) {
  const SchemaElement& e = column.element;
  if (e.logical_type && e.logical_type->kind == LogicalType::Kind::kInteger) {
    return !e.logical_type->is_signed;
  }
  if (e.converted_type) {
    switch (*e.converted_type) {
      case ConvertedType::kUint8:
      case ConvertedType::kUint16:
      case ConvertedType::kUint32:
      case ConvertedType::kUint64:
        return true;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

StatisticsOrder StatisticsOrderOf(const ColumnDescriptor& column) {
  const SchemaElement& e = column.element;
  switch (column.physical_type) {
    case PhysicalType::kBoolean:
      return StatisticsOrder::kBool;
    case PhysicalType::kInt32:
    case PhysicalType::kInt64:
      return IsUnsignedInteger(column) ? StatisticsOrder::kUnsigned : StatisticsOrder::kSigned;
    case PhysicalType::kFloat:
    case PhysicalType::kDouble:
      return StatisticsOrder::kFloat;
    case PhysicalType::kInt96:
      return StatisticsOrder::kUndefined;
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray:
      if (IsDecimal(column)) return StatisticsOrder::kSignedBigEndian;
      if (e.logical_type && e.logical_type->kind == LogicalType::Kind::kFloat16) {
        return StatisticsOrder::kUndefined;
      }
      if (e.converted_type == ConvertedType::kInterval) return StatisticsOrder::kUndefined;
      return StatisticsOrder::kUnsigned;
  }
  return StatisticsOrder::kUndefined;
}

int CompareStatisticsValues(const ColumnDescriptor& column, StatisticsOrder order,
                            std::string_view a, std::string_view b) {
  const bool wide =
      column.physical_type == PhysicalType::kInt64 || column.physical_type == PhysicalType::kDouble;
  switch (order) {
    case StatisticsOrder::kBool:
      return Compare3(Load<uint8_t>(a) != 0, Load<uint8_t>(b) != 0);
    case StatisticsOrder::kSigned:
      return wide ? Compare3(Load<int64_t>(a), Load<int64_t>(b))
                  : Compare3(Load<int32_t>(a), Load<int32_t>(b));
    case StatisticsOrder::kUnsigned:
      if (column.physical_type == PhysicalType::kInt64)
        return Compare3(Load<uint64_t>(a), Load<uint64_t>(b));
      if (column.physical_type == PhysicalType::kInt32)
        return Compare3(Load<uint32_t>(a), Load<uint32_t>(b));
      return CompareUnsignedBytes(a, b);
    case StatisticsOrder::kFloat:
      return wide ? Compare3(Load<double>(a), Load<double>(b))
                  : Compare3(Load<float>(a), Load<float>(b));
    case StatisticsOrder::kSignedBigEndian:
      if (column.physical_type == PhysicalType::kInt32)
        return Compare3(Load<int32_t>(a), Load<int32_t>(b));
      if (column.physical_type == PhysicalType::kInt64)
        return Compare3(Load<int64_t>(a), Load<int64_t>(b));
      return CompareSignedBigEndian(a, b);
    case StatisticsOrder::kUndefined:
      break;
  }
  throw NotSupported("column {} has no defined sort order", column.DottedPath());
}

namespace {

bool DeprecatedMeansSame(StatisticsOrder order) {
  return order == StatisticsOrder::kSigned || order == StatisticsOrder::kFloat ||
         order == StatisticsOrder::kBool;
}

}  // namespace

std::optional<std::string> StatisticsMin(const Statistics& stats, StatisticsOrder order) {
  if (stats.min_value) return stats.min_value;
  if (stats.min && DeprecatedMeansSame(order)) return stats.min;
  return std::nullopt;
}

std::optional<std::string> StatisticsMax(const Statistics& stats, StatisticsOrder order) {
  if (stats.max_value) return stats.max_value;
  if (stats.max && DeprecatedMeansSame(order)) return stats.max;
  return std::nullopt;
}

std::optional<Statistics> MergeStatistics(const ColumnDescriptor& column,
                                          std::span<const std::optional<Statistics>> inputs,
                                          std::span<const int64_t> values) {
  if (inputs.empty()) return std::nullopt;
  StatisticsOrder order = StatisticsOrderOf(column);
  Statistics out;
  bool nulls_known = true, bounds_known = order != StatisticsOrder::kUndefined;
  int64_t null_count = 0;
  std::optional<std::string> min, max;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) return std::nullopt;
    const Statistics& s = *inputs[i];
    if (s.null_count) {
      null_count += *s.null_count;
    } else {
      nulls_known = false;
    }
    if (!bounds_known) continue;
    std::optional<std::string> lo = StatisticsMin(s, order), hi = StatisticsMax(s, order);
    if (!lo || !hi) {
      // Without bounds, only a chunk known to hold nothing but nulls leaves them unconstrained.
      bool all_null = s.null_count && i < values.size() && *s.null_count == values[i];
      if (!all_null) bounds_known = false;
      continue;
    }
    // A float chunk whose bounds are NaN says nothing usable about its order.
    if (order == StatisticsOrder::kFloat) {
      bool wide = column.physical_type == PhysicalType::kDouble;
      auto is_nan = [wide](const std::string& v) {
        return wide ? (v.size() == 8 && std::isnan(Load<double>(v)))
                    : (v.size() == 4 && std::isnan(Load<float>(v)));
      };
      if (is_nan(*lo) || is_nan(*hi)) {
        bounds_known = false;
        continue;
      }
    }
    if (!min || CompareStatisticsValues(column, order, *lo, *min) < 0) min = std::move(lo);
    if (!max || CompareStatisticsValues(column, order, *hi, *max) > 0) max = std::move(hi);
  }
  if (nulls_known) out.null_count = null_count;
  if (bounds_known && min && max) {
    out.min_value = std::move(min);
    out.max_value = std::move(max);
  }
  return out;
}

}  // namespace sluice::parquet
