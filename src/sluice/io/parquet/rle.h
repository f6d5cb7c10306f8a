// The RLE/bit-packed hybrid encoding (Encodings.md, "RLE = 3"): runs of one repeated value and
// runs of bit-packed groups of eight values, at a fixed bit width of 0..32. Parquet uses it for
// definition and repetition levels, dictionary indices (after a one-byte bit width) and, with a
// 4-byte length prefix, booleans.
//
// The decoder is hardened for untrusted input: a repeated value wider than the bit width or a run
// longer than 2^31-1 values is InvalidData; a final bit-packed run cut short by the end of the
// data yields the whole values that are there (as other readers do) and decoding then stops, so a
// caller that expected more values sees a short count and reports it. Work is proportional to
// the values produced; nothing is allocated from a length in the data.
//
// Ownership: the decoder borrows its input. Thread safety: one thread per decoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sluice::parquet {

class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder() = default;
  // InvalidData unless 0 <= bit_width <= 32.
  RleBitPackedDecoder(std::span<const uint8_t> data, int bit_width);

  // A decoder for dictionary indices: the data starts with the bit width byte.
  static RleBitPackedDecoder ForDictionaryIndices(std::span<const uint8_t> data);
  // A decoder for RLE-encoded booleans (bit width 1): the data starts with a 4-byte
  // little-endian length of the runs that follow.
  static RleBitPackedDecoder ForBooleans(std::span<const uint8_t> data);

  int bit_width() const { return bit_width_; }

  // Decodes up to `count` values; returns how many it produced (fewer only at the data's end).
  int64_t GetBatch(uint32_t* out, int64_t count);
  // Consumes `count` values when the data continues with a repeated run of at least `count`
  // copies of `value` (true); otherwise consumes nothing (false). Lets level decoding skip
  // materialising the common all-present run.
  bool SkipRepeated(uint32_t value, int64_t count);
  // Like GetBatch, for dictionary indices: an index >= dictionary_size is InvalidData.
  int64_t GetIndices(uint32_t* out, int64_t count, uint32_t dictionary_size);
  // Bit width 1 only: decodes up to `count` values as bits into `out`, least significant bit
  // first from bit 0; the bytes must be zero beforehand. Returns how many. A bit-packed run of
  // width 1 already is such a bitmap, so it is copied, not unpacked.
  int64_t GetBits(uint8_t* out, int64_t count);

 private:
  // The run walk GetBatch and GetBits share; `sink` places repeated runs, leftover group values
  // and whole bit-packed groups at an output position.
  template <typename Sink>
  int64_t Drain(int64_t count, Sink& sink);
  // Reads the next run header; false at the end of the data.
  bool NextRun();
  [[noreturn]] void Fail(const char* what) const;

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  int bit_width_ = 0;
  // The current run: `rle_left_` copies of `rle_value_`, or `packed_left_` values of a bit-packed
  // run starting at `packed_` and already consumed up to `packed_index_`.
  int64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  int64_t packed_left_ = 0;
  int64_t packed_index_ = 0;
  const uint8_t* packed_ = nullptr;
  // One unpacked group, for requests that end inside a group of eight.
  uint32_t group_[8] = {};
  int group_begin_ = 0;
  int group_end_ = 0;
};

// Encodes `values` (each < 2^bit_width) and appends them to `out`, without any length prefix.
// Runs of 8 or more equal values become repeated runs, the rest bit-packed groups; the final
// group is padded with zeros.
void RleBitPackedEncode(std::span<const uint32_t> values, int bit_width, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
