#include "sluice/io/parquet/bit_packing.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "sluice/base/check.h"

namespace sluice::parquet {
namespace {

// Eight values of W bits fill exactly W bytes, so groups of eight are unpacked from a small
// zero-padded copy of their bytes: the 64-bit loads below never touch memory past the input.
template <int W, typename T>
void UnpackGroup(const uint8_t* group, T* out, size_t count) {
  if constexpr (W == 0) {
    for (size_t j = 0; j < count; ++j) out[j] = 0;
  } else {
    uint8_t buffer[W + 9] = {};
    std::memcpy(buffer, group, BitPackedSize(count, W));
    constexpr uint64_t kMask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
    for (size_t j = 0; j < count; ++j) {
      const size_t bit = j * W;
      const size_t byte = bit / 8;
      const int shift = static_cast<int>(bit % 8);
      uint64_t word;
      std::memcpy(&word, buffer + byte, 8);
      uint64_t value = word >> shift;
      if (shift != 0 && shift + W > 64) {
        value |= static_cast<uint64_t>(buffer[byte + 8]) << (64 - shift);
      }
      out[j] = static_cast<T>(value & kMask);
    }
  }
}

// A full group of eight with at least 9 more input bytes after its last value's first byte:
// loaded in place, without UnpackGroup's padded copy (most groups of a page).
template <int W, typename T>
void UnpackGroupInPlace(const uint8_t* group, T* out) {
  constexpr uint64_t kMask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
  // Unrolled, every offset and shift is a constant (-O2 kept the loop: a variable shift and
  // three times the instructions per value).
#pragma GCC unroll 8
  for (size_t j = 0; j < 8; ++j) {
    const size_t bit = j * W;
    const size_t byte = bit / 8;
    const int shift = static_cast<int>(bit % 8);
    uint64_t word;
    std::memcpy(&word, group + byte, 8);
    uint64_t value = word >> shift;
    if (shift != 0 && shift + W > 64) {
      value |= static_cast<uint64_t>(group[byte + 8]) << (64 - shift);
    }
    out[j] = static_cast<T>(value & kMask);
  }
}

template <int W, typename T>
void UnpackWidth(const uint8_t* in, T* out, size_t count) {
  const size_t full = count / 8;
  size_t g = 0;
  if constexpr (W > 0) {
    // Group g reads bytes up to g * W + W + 8, inside the input's BitPackedSize(count, W).
    const size_t bytes = BitPackedSize(count, W);
    const size_t in_place = bytes >= W + 9 ? std::min(full, (bytes - W - 9) / W + 1) : 0;
    for (; g < in_place; ++g) UnpackGroupInPlace<W, T>(in + g * W, out + g * 8);
  }
  for (; g < full; ++g) UnpackGroup<W, T>(in + g * W, out + g * 8, 8);
  if (count % 8 != 0) UnpackGroup<W, T>(in + full * W, out + full * 8, count % 8);
}

template <typename T, int... Ws>
constexpr auto MakeUnpackTable(std::integer_sequence<int, Ws...>) {
  using Fn = void (*)(const uint8_t*, T*, size_t);
  return std::array<Fn, sizeof...(Ws)>{&UnpackWidth<Ws, T>...};
}

constexpr auto kUnpack32 = MakeUnpackTable<uint32_t>(std::make_integer_sequence<int, 33>{});
constexpr auto kUnpack64 = MakeUnpackTable<uint64_t>(std::make_integer_sequence<int, 65>{});

}  // namespace

int BitWidthOf(uint64_t value) { return 64 - std::countl_zero(value); }

void UnpackBits(const uint8_t* in, int bit_width, uint32_t* out, size_t count) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 32);
  kUnpack32[bit_width](in, out, count);
}

void UnpackBits(const uint8_t* in, int bit_width, uint64_t* out, size_t count) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 64);
  kUnpack64[bit_width](in, out, count);
}

void PackBits(const uint64_t* values, size_t count, int bit_width, std::vector<uint8_t>* out) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 64);
  size_t start = out->size();
  out->resize(start + BitPackedSize(count, bit_width));
  if (bit_width == 0) return;
  uint8_t* dst = out->data() + start;
  // A 128-bit accumulator holds a pending partial byte (< 8 bits) plus one 64-bit value.
  unsigned __int128 acc = 0;
  int bits = 0;
  for (size_t i = 0; i < count; ++i) {
    acc |= static_cast<unsigned __int128>(values[i]) << bits;
    bits += bit_width;
    while (bits >= 8) {
      *dst++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) *dst = static_cast<uint8_t>(acc);
}

void PackBits(const uint32_t* values, size_t count, int bit_width, std::vector<uint8_t>* out) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 32);
  const size_t start = out->size();
  out->resize(start + BitPackedSize(count, bit_width));
  if (bit_width == 0) return;
  uint8_t* dst = out->data() + start;
  // Fewer than 32 bits pend before a value is added, so 64 bits hold them and the value.
  uint64_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < count; ++i) {
    acc |= static_cast<uint64_t>(values[i]) << bits;
    bits += bit_width;
    if (bits >= 32) {
      const auto word = static_cast<uint32_t>(acc);
      std::memcpy(dst, &word, 4);
      dst += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  for (; bits > 0; bits -= 8) {
    *dst++ = static_cast<uint8_t>(acc);
    acc >>= 8;
  }
}

void UnpackBitsMsbFirst(const uint8_t* in, int bit_width, uint32_t* out, size_t count) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 32);
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i) {
    uint32_t value = 0;
    for (int b = 0; b < bit_width; ++b, ++bit) {
      value = (value << 1) | ((in[bit / 8] >> (7 - bit % 8)) & 1);
    }
    out[i] = value;
  }
}

void PackBitsMsbFirst(const uint32_t* values, size_t count, int bit_width,
                      std::vector<uint8_t>* out) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 32);
  size_t start = out->size();
  out->resize(start + BitPackedSize(count, bit_width));
  uint8_t* dst = out->data() + start;
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i) {
    for (int b = bit_width - 1; b >= 0; --b, ++bit) {
      if ((values[i] >> b) & 1) dst[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
  }
}

}  // namespace sluice::parquet
