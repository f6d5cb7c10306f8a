// The PLAIN encoding (Encodings.md) of every physical type: bit-packed booleans, little-endian
// INT32/INT64/INT96/FLOAT/DOUBLE, length-prefixed BYTE_ARRAY and raw FIXED_LEN_BYTE_ARRAY.
//
// PlainDecoder walks one page's value bytes and can be asked for values in batches. A batch
// returns fewer values than asked only when the bytes run out (the caller knows how many the
// page holds and reports a short page); a BYTE_ARRAY length that passes the end is InvalidData.
//
// Ownership: the decoder borrows its input. Thread safety: one thread per decoder; the encoders
// are pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sluice/io/parquet/byte_array_buffer.h"
#include "sluice/table/buffer_builder.h"

namespace sluice::parquet {

// INT96 as stored: 12 bytes, in Spark's use 8 bytes of nanoseconds in the day then a 4-byte
// Julian day, little endian.
struct Int96 {
  uint32_t value[3];
  bool operator==(const Int96&) const = default;
};

class PlainDecoder {
 public:
  explicit PlainDecoder(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining_bytes() const { return data_.size() - pos_; }

  // Booleans, one byte (0 or 1) per value.
  int64_t DecodeBooleans(uint8_t* out, int64_t count);
  // T: int32_t, int64_t, float, double or Int96.
  template <typename T>
  int64_t DecodeFixed(T* out, int64_t count);
  // `count` values of `width` bytes each into `out` (count * width bytes).
  int64_t DecodeFixedLenByteArrays(int32_t width, uint8_t* out, int64_t count);
  int64_t DecodeByteArrays(ByteArrayBuffer* out, int64_t count);
  // Up to `count` byte arrays appended to `data`, with the end offset of each (from data's
  // start) written to `ends`: one pass sums the lengths, so `data` grows once. ResourceExhausted
  // when the data would pass 2 GiB (int32 offsets).
  int64_t DecodeByteArrays(int64_t count, int32_t* ends, BufferBuilder* data);

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  int bit_ = 0;  // bit position inside data_[pos_] while decoding booleans
};

// Encoders append to `out`. Booleans are one byte (0 or nonzero) per value.
void PlainEncodeBooleans(std::span<const uint8_t> values, std::vector<uint8_t>* out);
template <typename T>
void PlainEncodeFixed(std::span<const T> values, std::vector<uint8_t>* out);
void PlainEncodeByteArrays(const ByteArrayBuffer& values, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
