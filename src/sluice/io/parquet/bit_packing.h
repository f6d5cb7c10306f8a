// Bit packing of unsigned integers at a fixed bit width (0..64), in the two orders Parquet uses:
// LSB-first (the RLE/bit-packed hybrid, DELTA_BINARY_PACKED miniblocks and PLAIN booleans) and
// MSB-first (the deprecated BIT_PACKED level encoding).
//
// These are the inner loops under the decoders; they trust their arguments: the caller checks
// that the input holds BitPackedSize(count, bit_width) bytes and that values fit the width.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::parquet {

// Bytes that `count` values of `bit_width` bits occupy.
constexpr size_t BitPackedSize(size_t count, int bit_width) {
  return (count * static_cast<size_t>(bit_width) + 7) / 8;
}

// The number of bits needed to store `value` (0 for 0).
int BitWidthOf(uint64_t value);

// LSB-first. `out` receives `count` values; `in` must hold BitPackedSize(count, bit_width) bytes.
void UnpackBits(const uint8_t* in, int bit_width, uint32_t* out, size_t count);  // width <= 32
void UnpackBits(const uint8_t* in, int bit_width, uint64_t* out, size_t count);  // width <= 64

// LSB-first. Appends BitPackedSize(count, bit_width) bytes; the bits above bit_width in each value
// must be zero.
void PackBits(const uint64_t* values, size_t count, int bit_width, std::vector<uint8_t>* out);
// The same for widths up to 32, four bytes stored at a time (dictionary indices, levels).
void PackBits(const uint32_t* values, size_t count, int bit_width, std::vector<uint8_t>* out);

// MSB-first (BIT_PACKED), widths up to 32.
void UnpackBitsMsbFirst(const uint8_t* in, int bit_width, uint32_t* out, size_t count);
void PackBitsMsbFirst(const uint32_t* values, size_t count, int bit_width,
                      std::vector<uint8_t>* out);

}  // namespace sluice::parquet
