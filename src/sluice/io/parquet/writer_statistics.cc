#include "sluice/io/parquet/writer_statistics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

namespace sluice::parquet {

std::string_view ValueBytes(const PhysicalValues& values, int64_t i) {
  if (values.width == 0) return values.binary[static_cast<size_t>(i)];
  return {reinterpret_cast<const char*>(values.fixed.data()) + i * values.width,
          static_cast<size_t>(values.width)};
}

int CompareValues(const WriterColumn& column, std::string_view a, std::string_view b) {
  auto three_way = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  auto load = [](auto* value, std::string_view bytes) {
    std::memcpy(value, bytes.data(), sizeof(*value));
  };
  switch (column.physical_type) {
    case PhysicalType::kBoolean:
      return three_way(a[0], b[0]);
    case PhysicalType::kInt32: {
      int32_t x, y;
      load(&x, a);
      load(&y, b);
      return column.sort_order == SortOrder::kUnsigned
                 ? three_way(static_cast<uint32_t>(x), static_cast<uint32_t>(y))
                 : three_way(x, y);
    }
    case PhysicalType::kInt64: {
      int64_t x, y;
      load(&x, a);
      load(&y, b);
      return column.sort_order == SortOrder::kUnsigned
                 ? three_way(static_cast<uint64_t>(x), static_cast<uint64_t>(y))
                 : three_way(x, y);
    }
    case PhysicalType::kFloat: {
      float x, y;
      load(&x, a);
      load(&y, b);
      return three_way(x, y);
    }
    case PhysicalType::kDouble: {
      double x, y;
      load(&x, a);
      load(&y, b);
      return three_way(x, y);
    }
    default: {
      // Signed byte order (decimals): the sign byte decides first.
      if (column.sort_order == SortOrder::kSigned && !a.empty() && !b.empty()) {
        int sign = three_way(static_cast<int8_t>(a[0]), static_cast<int8_t>(b[0]));
        if (sign != 0) return sign;
      }
      int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
      if (c != 0) return c;
      return three_way(a.size(), b.size());
    }
  }
}

namespace {

// Floats: a zero minimum is written as -0.0 and a zero maximum as +0.0 (parquet-format's rule).
std::string ZeroSigned(const WriterColumn& column, std::string_view v, bool negative) {
  std::string out(v);
  if (column.physical_type == PhysicalType::kFloat) {
    float x;
    std::memcpy(&x, v.data(), 4);
    if (x == 0.0f) x = negative ? -0.0f : 0.0f;
    std::memcpy(out.data(), &x, 4);
  } else if (column.physical_type == PhysicalType::kDouble) {
    double x;
    std::memcpy(&x, v.data(), 8);
    if (x == 0.0) x = negative ? -0.0 : 0.0;
    std::memcpy(out.data(), &x, 8);
  }
  return out;
}

// Indices of the min and max of fixed-width numbers (NaN skipped), or -1 when there is none.
template <typename T>
void MinMaxNumbers(const PhysicalValues& values, int64_t begin, int64_t end, int64_t* min,
                   int64_t* max) {
  const uint8_t* in = values.fixed.data();
  T low{};
  T high{};
  for (int64_t i = begin; i < end; ++i) {
    T v;
    std::memcpy(&v, in + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) continue;
    }
    if (*min < 0) {
      *min = *max = i;
      low = high = v;
      continue;
    }
    if (v < low) {
      low = v;
      *min = i;
    }
    if (high < v) {
      high = v;
      *max = i;
    }
  }
}

// Indices of the first false and first true among booleans (one byte each, 0 or 1): two memchr
// scans that stop early, where the generic byte comparison cost tens of instructions a value.
void MinMaxBooleans(const PhysicalValues& values, int64_t begin, int64_t end, int64_t* min,
                    int64_t* max) {
  const uint8_t* first = values.fixed.data() + begin;
  const auto n = static_cast<size_t>(end - begin);
  const void* zero = n == 0 ? nullptr : std::memchr(first, 0, n);
  const void* one = n == 0 ? nullptr : std::memchr(first, 1, n);
  auto index = [&](const void* p) { return begin + (static_cast<const uint8_t*>(p) - first); };
  if (zero == nullptr && one == nullptr) return;
  *min = index(zero != nullptr ? zero : one);
  *max = index(one != nullptr ? one : zero);
}

bool IsNumber(const WriterColumn& column) {
  switch (column.physical_type) {
    case PhysicalType::kInt32:
    case PhysicalType::kInt64:
    case PhysicalType::kFloat:
    case PhysicalType::kDouble:
      return true;
    default:
      return false;
  }
}

// Folds byte value `i` into the running min and max (indices, -1 before the first). A value
// below the minimum cannot be above the maximum, so most values cost one comparison.
void MinMaxBytes(const WriterColumn& column, const PhysicalValues& values, int64_t i, int64_t* min,
                 int64_t* max) {
  if (*min < 0) {
    *min = *max = i;
    return;
  }
  std::string_view v = ValueBytes(values, i);
  if (CompareValues(column, v, ValueBytes(values, *min)) < 0) {
    *min = i;
  } else if (CompareValues(column, v, ValueBytes(values, *max)) > 0) {
    *max = i;
  }
}

void SetBounds(const WriterColumn& column, const PhysicalValues& values, int64_t min, int64_t max,
               Statistics* stats) {
  if (min < 0) return;
  stats->min_value = ZeroSigned(column, ValueBytes(values, min), true);
  stats->max_value = ZeroSigned(column, ValueBytes(values, max), false);
  stats->is_min_value_exact = true;
  stats->is_max_value_exact = true;
}

}  // namespace

Statistics ComputeStatistics(const WriterColumn& column, const PhysicalValues& values,
                             int64_t begin, int64_t end, int64_t null_count) {
  Statistics stats;
  stats.null_count = null_count;
  int64_t min = -1;
  int64_t max = -1;
  bool is_unsigned = column.sort_order == SortOrder::kUnsigned;
  switch (column.physical_type) {
    case PhysicalType::kInt32:
      is_unsigned ? MinMaxNumbers<uint32_t>(values, begin, end, &min, &max)
                  : MinMaxNumbers<int32_t>(values, begin, end, &min, &max);
      break;
    case PhysicalType::kInt64:
      is_unsigned ? MinMaxNumbers<uint64_t>(values, begin, end, &min, &max)
                  : MinMaxNumbers<int64_t>(values, begin, end, &min, &max);
      break;
    case PhysicalType::kFloat:
      MinMaxNumbers<float>(values, begin, end, &min, &max);
      break;
    case PhysicalType::kDouble:
      MinMaxNumbers<double>(values, begin, end, &min, &max);
      break;
    case PhysicalType::kBoolean:
      MinMaxBooleans(values, begin, end, &min, &max);
      break;
    default:
      for (int64_t i = begin; i < end; ++i) MinMaxBytes(column, values, i, &min, &max);
  }
  SetBounds(column, values, min, max, &stats);
  return stats;
}

bool StatisticsByDictionaryEntry(const WriterColumn& column, int64_t entries, int64_t values) {
  return !IsNumber(column) && entries <= values;
}

Statistics ComputeDictionaryPageStatistics(const WriterColumn& column,
                                           const PhysicalValues& dictionary,
                                           std::span<const uint32_t> indices, int64_t null_count,
                                           std::vector<uint8_t>* seen) {
  seen->assign(static_cast<size_t>(dictionary.size()), 0);
  for (uint32_t index : indices) (*seen)[index] = 1;
  Statistics stats;
  stats.null_count = null_count;
  int64_t min = -1;
  int64_t max = -1;
  for (int64_t e = 0; e < dictionary.size(); ++e) {
    if ((*seen)[static_cast<size_t>(e)] != 0) MinMaxBytes(column, dictionary, e, &min, &max);
  }
  SetBounds(column, dictionary, min, max, &stats);
  return stats;
}

int64_t CountNaN(const WriterColumn& column, const PhysicalValues& values, int64_t begin,
                 int64_t end) {
  auto count = [&](auto zero) {
    using T = decltype(zero);
    int64_t nans = 0;
    const uint8_t* in = values.fixed.data();
    for (int64_t i = begin; i < end; ++i) {
      T v;
      std::memcpy(&v, in + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
      nans += std::isnan(v) ? 1 : 0;
    }
    return nans;
  };
  if (column.physical_type == PhysicalType::kFloat) return count(0.0f);
  if (column.physical_type == PhysicalType::kDouble) return count(0.0);
  return 0;
}

}  // namespace sluice::parquet
