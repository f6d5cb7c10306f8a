#include "sluice/table/bitmap.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace sluice {
namespace {

// Reads n <= 56 bits starting at bit `offset`, reading only the bytes that hold them.
uint64_t LoadBits(const uint8_t* bits, int64_t offset, int n) {
  const uint8_t* p = bits + (offset >> 3);
  int shift = static_cast<int>(offset & 7);
  int bytes = (n + shift + 7) / 8;
  uint64_t word = 0;
  std::memcpy(&word, p, static_cast<size_t>(bytes));
  return (word >> shift) & ((uint64_t{1} << n) - 1);
}

// ORs n <= 56 bits into dst starting at bit `offset`.
void OrBits(uint8_t* bits, int64_t offset, uint64_t value, int n) {
  uint8_t* p = bits + (offset >> 3);
  int shift = static_cast<int>(offset & 7);
  int bytes = (n + shift + 7) / 8;
  uint64_t word = 0;
  std::memcpy(&word, p, static_cast<size_t>(bytes));
  word |= value << shift;
  std::memcpy(p, &word, static_cast<size_t>(bytes));
}

}  // namespace

void SetBits(uint8_t* bits, int64_t offset, int64_t length) {
  int64_t i = offset;
  const int64_t end = offset + length;
  for (; i < end && (i & 7) != 0; ++i) SetBit(bits, i);
  const int64_t whole = (end - i) / 8;
  if (whole > 0) std::memset(bits + i / 8, 0xff, static_cast<size_t>(whole));
  for (i += whole * 8; i < end; ++i) SetBit(bits, i);
}

int64_t CountSetBits(const uint8_t* bits, int64_t offset, int64_t length) {
  int64_t count = 0;
  int64_t i = 0;
  // Unaligned head, then whole bytes 8 at a time, then the tail.
  while (i < length && ((offset + i) & 7) != 0) count += GetBit(bits, offset + i++);
  const uint8_t* p = bits + ((offset + i) >> 3);
  for (; i + 64 <= length; i += 64, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    count += std::popcount(word);
  }
  for (; i < length; ++i) count += GetBit(bits, offset + i);
  return count;
}

void CopyBits(const uint8_t* src, int64_t src_offset, int64_t length, uint8_t* dst,
              int64_t dst_offset) {
  if (((src_offset | dst_offset) & 7) == 0) {
    // memcpy of nothing still needs valid pointers; an empty bitmap may have none.
    if (length >= 8) {
      std::memcpy(dst + (dst_offset >> 3), src + (src_offset >> 3),
                  static_cast<size_t>(length >> 3));
    }
    int64_t done = length & ~int64_t{7};
    for (int64_t i = done; i < length; ++i) {
      if (GetBit(src, src_offset + i)) SetBit(dst, dst_offset + i);
    }
    return;
  }
  for (int64_t i = 0; i < length; i += 56) {
    int n = static_cast<int>(std::min<int64_t>(56, length - i));
    OrBits(dst, dst_offset + i, LoadBits(src, src_offset + i, n), n);
  }
}

}  // namespace sluice
