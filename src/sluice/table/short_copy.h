// CopyShort: copies a short value (a string cell, a key part) with a few overlapping fixed-size
// moves instead of a library call per value; values over 64 bytes go to memcpy. Row gathers
// copy millions of values of a few bytes to a URL's few dozen each, where the call dominated.
// EqualShort compares two values the same way (a dictionary build compares every value with the
// entry it hits).
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sluice {

namespace short_copy_internal {

struct Block16 {
  uint64_t low;
  uint64_t high;
};

inline Block16 Load16(const uint8_t* in) {
  Block16 b;
  std::memcpy(&b, in, 16);
  return b;
}

inline void Store16(uint8_t* out, Block16 b) { std::memcpy(out, &b, 16); }

inline uint64_t Differ16(const uint8_t* a, const uint8_t* b) {
  Block16 x = Load16(a);
  Block16 y = Load16(b);
  return (x.low ^ y.low) | (x.high ^ y.high);
}

}  // namespace short_copy_internal

inline void CopyShort(void* out_bytes, const void* in_bytes, size_t n) {
  using short_copy_internal::Load16;
  using short_copy_internal::Store16;
  auto* out = static_cast<uint8_t*>(out_bytes);
  const auto* in = static_cast<const uint8_t*>(in_bytes);
  if (n > 16 && n <= 64) {
    // Every block is loaded before any is stored, so overlapping input and output stay correct.
    const auto head = Load16(in);
    const auto tail = Load16(in + n - 16);
    if (n <= 32) {
      Store16(out, head);
      Store16(out + n - 16, tail);
      return;
    }
    const auto second = Load16(in + 16);
    const auto before_tail = Load16(in + n - 32);
    Store16(out, head);
    Store16(out + 16, second);
    Store16(out + n - 32, before_tail);
    Store16(out + n - 16, tail);
  } else if (n >= 8 && n <= 16) {
    uint64_t head;
    uint64_t tail;
    std::memcpy(&head, in, 8);
    std::memcpy(&tail, in + n - 8, 8);
    std::memcpy(out, &head, 8);
    std::memcpy(out + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, in, 4);
    std::memcpy(&tail, in + n - 4, 4);
    std::memcpy(out, &head, 4);
    std::memcpy(out + n - 4, &tail, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) out[i] = in[i];
  } else {
    std::memcpy(out, in, n);
  }
}

inline bool EqualShort(const void* a_bytes, const void* b_bytes, size_t n) {
  const auto* a = static_cast<const uint8_t*>(a_bytes);
  const auto* b = static_cast<const uint8_t*>(b_bytes);
  if (n > 16 && n <= 64) {
    using short_copy_internal::Differ16;
    uint64_t differ = Differ16(a, b) | Differ16(a + n - 16, b + n - 16);
    if (n > 32) differ |= Differ16(a + 16, b + 16) | Differ16(a + n - 32, b + n - 32);
    return differ == 0;
  }
  if (n >= 8 && n <= 16) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4 && n < 8) {
    uint32_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  return std::memcmp(a, b, n) == 0;
}

}  // namespace sluice
