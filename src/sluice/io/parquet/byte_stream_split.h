// BYTE_STREAM_SPLIT (Encodings.md): the K bytes of each K-byte value are scattered into K
// streams of N bytes, stream 0 first. For FLOAT, DOUBLE, INT32, INT64 and FIXED_LEN_BYTE_ARRAY.
//
// The page's byte count must be a multiple of the width (else InvalidData); decoding is
// incremental so a reader can take values in batches.
//
// Ownership: the decoder borrows its input. Thread safety: one thread per decoder; the encoder is
// a pure function.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sluice::parquet {

class ByteStreamSplitDecoder {
 public:
  ByteStreamSplitDecoder() = default;
  ByteStreamSplitDecoder(std::span<const uint8_t> data, int width);

  int64_t num_values() const { return num_values_; }
  // Writes up to `count` values of `width` bytes to `out`; returns how many.
  int64_t Decode(uint8_t* out, int64_t count);

 private:
  std::span<const uint8_t> data_;
  int width_ = 0;
  int64_t num_values_ = 0;
  int64_t next_ = 0;
};

// Appends the encoding of `values`, which holds values.size() / width values.
void ByteStreamSplitEncode(std::span<const uint8_t> values, int width, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
