// DELTA_BINARY_PACKED (Encodings.md): a header (block size, miniblocks per block, value count,
// first value) then blocks of a min delta, per-miniblock bit widths and bit-packed deltas, with
// all arithmetic wrapping in two's complement. For INT32 and INT64, and the lengths inside the
// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY encodings.
//
// The decoder validates the header (block size a positive multiple of 128 up to 2^16, miniblock
// size a multiple of 32, bit widths at most the type's width) and every size against the data;
// malformed input is InvalidData. Decoding is incremental and its work and memory are bounded by
// the values produced and one miniblock, whatever the header claims. The last miniblock may be
// cut short after its last value (a lenient reading of the padding rule).
//
// Ownership: the decoder borrows its input. Thread safety: one thread per decoder; the encoder
// is a pure function.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

namespace sluice::parquet {

template <typename T>
class DeltaBinaryPackedDecoder {
  static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>);

 public:
  DeltaBinaryPackedDecoder() = default;
  // Parses the header; InvalidData when it is malformed.
  explicit DeltaBinaryPackedDecoder(std::span<const uint8_t> data);

  int64_t total_values() const { return total_values_; }
  int64_t values_left() const { return values_left_; }

  // Decodes up to `count` values; returns how many (fewer only when all values are decoded).
  int64_t Decode(T* out, int64_t count);

  // The size of the encoded values at the start of `data`, found by walking block headers
  // without decoding: where DELTA_LENGTH_BYTE_ARRAY's bytes begin. InvalidData when malformed.
  static size_t EncodedSize(std::span<const uint8_t> data);

 private:
  using U = std::make_unsigned_t<T>;
  void StartBlock();
  void StartMiniblock();
  [[noreturn]] void Fail(const char* what) const;

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  uint32_t block_size_ = 0;
  uint32_t miniblocks_ = 0;
  uint32_t miniblock_size_ = 0;
  int64_t total_values_ = 0;
  int64_t values_left_ = 0;
  bool first_pending_ = false;
  U last_ = 0;
  U min_delta_ = 0;
  std::vector<uint8_t> bit_widths_;
  uint32_t miniblock_index_ = 0;  // within the block; == miniblocks_ when a new block is due
  // The current miniblock's deltas, unpacked; consumed up to delta_index_.
  std::vector<uint64_t> deltas_;
  size_t delta_index_ = 0;
};

// Appends the encoding of `values` (blocks of 128 values in 4 miniblocks, as parquet-mr and
// Arrow write).
template <typename T>
void DeltaBinaryPackedEncode(std::span<const T> values, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
