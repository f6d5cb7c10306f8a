// DispatchFixedWidth: calls f(T{}) with the C type of a fixed-width column's values (int32_t for
// date32, int64_t for timestamp, Decimal128 for decimal128), so typed kernels are written once as
// templates. Returns false for other types (bool, string, binary, fixed_size_binary) without
// calling f.
//
// Thread safety: stateless.
#pragma once

#include <cstdint>

#include "sluice/table/decimal128.h"
#include "sluice/table/type.h"

namespace sluice {

template <typename F>
bool DispatchFixedWidth(const DataType& type, F&& f) {
  switch (type.id()) {
    case TypeId::kInt8:
      f(int8_t{});
      return true;
    case TypeId::kInt16:
      f(int16_t{});
      return true;
    case TypeId::kInt32:
    case TypeId::kDate32:
      f(int32_t{});
      return true;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      f(int64_t{});
      return true;
    case TypeId::kUInt8:
      f(uint8_t{});
      return true;
    case TypeId::kUInt16:
      f(uint16_t{});
      return true;
    case TypeId::kUInt32:
      f(uint32_t{});
      return true;
    case TypeId::kUInt64:
      f(uint64_t{});
      return true;
    case TypeId::kFloat32:
      f(float{});
      return true;
    case TypeId::kFloat64:
      f(double{});
      return true;
    case TypeId::kDecimal128:
      f(Decimal128{});
      return true;
    default:
      return false;
  }
}

}  // namespace sluice
