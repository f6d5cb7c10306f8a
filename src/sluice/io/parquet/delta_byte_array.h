// DELTA_LENGTH_BYTE_ARRAY (DELTA_BINARY_PACKED lengths, then the bytes back to back) and
// DELTA_BYTE_ARRAY (DELTA_BINARY_PACKED prefix lengths, then the suffixes as a
// DELTA_LENGTH_BYTE_ARRAY): decoders into ByteArrayBuffer and encoders.
//
// Negative lengths, prefixes longer than the previous value, byte counts that pass the end, and
// prefix and suffix counts that disagree are InvalidData. Decoding is incremental: lengths are
// decoded a chunk at a time, so memory follows the batch size, not the page's claimed count.
//
// Ownership: decoders borrow their input. Thread safety: one thread per decoder; encoders are
// pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sluice/io/parquet/byte_array_buffer.h"
#include "sluice/io/parquet/delta_binary_packed.h"

namespace sluice::parquet {

class DeltaLengthByteArrayDecoder {
 public:
  DeltaLengthByteArrayDecoder() = default;
  explicit DeltaLengthByteArrayDecoder(std::span<const uint8_t> data);

  int64_t total_values() const { return lengths_.total_values(); }
  // Appends up to `count` values; returns how many (fewer only when all are decoded).
  int64_t Decode(ByteArrayBuffer* out, int64_t count);
  // Like Decode, giving views into the input instead of copies (valid while the input is).
  int64_t DecodeViews(std::string_view* out, int64_t count);
  // The bytes after the last value's bytes (for DELTA_BYTE_ARRAY this is the page's end).
  size_t bytes_consumed() const { return bytes_begin_ + bytes_pos_; }

 private:
  std::span<const uint8_t> data_;
  DeltaBinaryPackedDecoder<int32_t> lengths_;
  size_t bytes_begin_ = 0;
  size_t bytes_pos_ = 0;
  std::vector<int32_t> length_chunk_;
};

class DeltaByteArrayDecoder {
 public:
  DeltaByteArrayDecoder() = default;
  explicit DeltaByteArrayDecoder(std::span<const uint8_t> data);

  int64_t total_values() const { return prefixes_.total_values(); }
  int64_t Decode(ByteArrayBuffer* out, int64_t count);

 private:
  DeltaBinaryPackedDecoder<int32_t> prefixes_;
  DeltaLengthByteArrayDecoder suffixes_;
  std::string last_;
  std::vector<int32_t> prefix_chunk_;
  std::vector<std::string_view> suffix_chunk_;
};

void DeltaLengthByteArrayEncode(const ByteArrayBuffer& values, std::vector<uint8_t>* out);
void DeltaByteArrayEncode(const ByteArrayBuffer& values, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
