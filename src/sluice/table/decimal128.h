// Decimal128: one decimal128 value as stored in a column: a 128-bit two's complement integer, low
// 64 bits first (Arrow's little-endian layout). The scale lives in the column's DataType.
//
// Thread safety: an immutable value.
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

struct Decimal128 {
  uint64_t low = 0;
  int64_t high = 0;

  static Decimal128 FromInt128(__int128 value) {
    return Decimal128{static_cast<uint64_t>(value), static_cast<int64_t>(value >> 64)};
  }
  __int128 ToInt128() const {
    return static_cast<__int128>(
        (static_cast<unsigned __int128>(static_cast<uint64_t>(high)) << 64) | low);
  }

  friend bool operator==(const Decimal128& a, const Decimal128& b) = default;
};

static_assert(sizeof(Decimal128) == 16);

// "-123.45" for the unscaled integer -12345 at scale 2; a negative scale appends zeros.
std::string FormatDecimal128(Decimal128 value, int32_t scale);

}  // namespace sluice
