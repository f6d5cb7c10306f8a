// Bitmaps as Arrow lays them out: bit i lives in byte i / 8 at position i % 8 (least significant
// bit first). Used for validity (1 = valid) and for bool values.
//
// Thread safety: pure functions over caller-owned memory.
#pragma once

#include <cstdint>

namespace sluice {

inline bool GetBit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
inline void SetBit(uint8_t* bits, int64_t i) {
  bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
}
inline void ClearBit(uint8_t* bits, int64_t i) {
  bits[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
}
inline int64_t BitmapBytes(int64_t bits) { return (bits + 7) / 8; }

// Sets bits [offset, offset + length) (whole bytes at once).
void SetBits(uint8_t* bits, int64_t offset, int64_t length);

// Set bits in [offset, offset + length).
int64_t CountSetBits(const uint8_t* bits, int64_t offset, int64_t length);

// ORs `length` bits from src (starting at bit src_offset) into dst (starting at bit dst_offset);
// the destination range must be zero beforehand. Never touches bytes outside either range.
void CopyBits(const uint8_t* src, int64_t src_offset, int64_t length, uint8_t* dst,
              int64_t dst_offset);

}  // namespace sluice
