#include "sluice/table/equal.h"

#include <cmath>

namespace sluice {
namespace {

template <typename T>
bool ValuesEqual(const Array& a, const Array& b, int64_t i) {
  T x = a.Value<T>(i);
  T y = b.Value<T>(i);
  if constexpr (std::is_floating_point_v<T>) {
    return x == y || (std::isnan(x) && std::isnan(y));
  } else {
    return x == y;
  }
}

template <typename T>
bool FixedEqual(const Array& a, const Array& b) {
  for (int64_t i = 0; i < a.length(); ++i) {
    if (a.IsValid(i) && !ValuesEqual<T>(a, b, i)) return false;
  }
  return true;
}

// The rows of `child` under rows [i, i + n) of the nested array `a`.
Array ChildRows(const Array& a, int k, int64_t i, int64_t n) {
  if (a.type().id() == TypeId::kStruct) return a.child(k).Slice(a.offset() + i, n);
  int64_t begin = a.ValueBegin(i);
  return a.child(k).Slice(begin, a.ValueBegin(i + n) - begin);
}

bool ChildrenEqual(const Array& a, const Array& b, int64_t i, int64_t n) {
  for (int k = 0; k < a.num_children(); ++k) {
    if (!ArrayEquals(ChildRows(a, k, i, n), ChildRows(b, k, i, n))) return false;
  }
  return true;
}

// Values under null rows may differ (a null list may span child rows), so rows are compared one
// by one unless there are no nulls.
bool NestedEqual(const Array& a, const Array& b) {
  if (a.type().is_list_like()) {
    for (int64_t i = 0; i < a.length(); ++i) {
      if (a.IsValid(i) && a.ValueLength(i) != b.ValueLength(i)) return false;
    }
  }
  if (a.null_count() == 0) return ChildrenEqual(a, b, 0, a.length());
  for (int64_t i = 0; i < a.length(); ++i) {
    if (a.IsValid(i) && !ChildrenEqual(a, b, i, 1)) return false;
  }
  return true;
}

}  // namespace

bool ArrayEquals(const Array& a, const Array& b) {
  if (a.type() != b.type() || a.length() != b.length() || a.null_count() != b.null_count()) {
    return false;
  }
  if (a.null_count() > 0) {
    for (int64_t i = 0; i < a.length(); ++i) {
      if (a.IsValid(i) != b.IsValid(i)) return false;
    }
  }
  switch (a.type().id()) {
    case TypeId::kBool:
      for (int64_t i = 0; i < a.length(); ++i) {
        if (a.IsValid(i) && a.BoolValue(i) != b.BoolValue(i)) return false;
      }
      return true;
    case TypeId::kInt8:
      return FixedEqual<int8_t>(a, b);
    case TypeId::kUInt8:
      return FixedEqual<uint8_t>(a, b);
    case TypeId::kInt16:
      return FixedEqual<int16_t>(a, b);
    case TypeId::kUInt16:
      return FixedEqual<uint16_t>(a, b);
    case TypeId::kInt32:
    case TypeId::kDate32:
      return FixedEqual<int32_t>(a, b);
    case TypeId::kUInt32:
      return FixedEqual<uint32_t>(a, b);
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return FixedEqual<int64_t>(a, b);
    case TypeId::kUInt64:
      return FixedEqual<uint64_t>(a, b);
    case TypeId::kFloat32:
      return FixedEqual<float>(a, b);
    case TypeId::kFloat64:
      return FixedEqual<double>(a, b);
    case TypeId::kDecimal128:
      return FixedEqual<Decimal128>(a, b);
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      for (int64_t i = 0; i < a.length(); ++i) {
        if (a.IsValid(i) && a.BinaryValue(i) != b.BinaryValue(i)) return false;
      }
      return true;
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return NestedEqual(a, b);
  }
  return false;
}

bool RecordBatchEquals(const RecordBatch& a, const RecordBatch& b) {
  if (a.schema() != b.schema() || a.num_rows() != b.num_rows()) return false;
  for (int i = 0; i < a.num_columns(); ++i) {
    if (!ArrayEquals(a.column(i), b.column(i))) return false;
  }
  return true;
}

}  // namespace sluice
