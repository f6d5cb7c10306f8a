// LevelDecoder: the definition or repetition levels of one data page. In v1 pages they sit at the
// start of the decompressed page, RLE with a 4-byte length prefix or (deprecated) BIT_PACKED for
// exactly num_values levels; in v2 pages they are an uncompressed RLE section of known length.
// A column whose max level is 0 stores none, and every level is 0.
//
// Levels above the max level, a length prefix that passes the end and encodings other than RLE
// and BIT_PACKED are InvalidData; a short count from Decode means the levels ran out, which the
// page reader reports.
//
// Ownership: borrows the page bytes. Thread safety: one thread per decoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/rle.h"

namespace sluice::parquet {

class LevelDecoder {
 public:
  LevelDecoder() = default;

  static LevelDecoder ForDataPageV1(Encoding encoding, int16_t max_level, int32_t num_values,
                                    std::span<const uint8_t> page_data);
  static LevelDecoder ForDataPageV2(int16_t max_level, std::span<const uint8_t> levels);

  // Bytes of the page the levels occupy (v1: where the next section begins).
  size_t encoded_size() const { return encoded_size_; }

  // Consumes the next `count` levels when all of them equal `level` and are stored as one run
  // (true); otherwise consumes nothing (false).
  bool SkipRun(int16_t level, int64_t count) {
    return kind_ == Kind::kRle && rle_.SkipRepeated(static_cast<uint32_t>(level), count);
  }
  // Decodes up to `count` levels; returns how many (fewer only when the data runs out).
  int64_t Decode(int16_t* out, int64_t count);
  // Max level 1 only (a flat nullable column): decodes up to `count` levels as a validity
  // bitmap, bit i set where level i is 1, into `bits` from bit 0 (previous contents are
  // overwritten); returns how many. Cheaper than Decode: RLE bit-packed runs are copied as bits.
  int64_t DecodeValidity(uint8_t* bits, int64_t count);

 private:
  enum class Kind { kNone, kRle, kBitPacked };
  Kind kind_ = Kind::kNone;
  int16_t max_level_ = 0;
  size_t encoded_size_ = 0;
  RleBitPackedDecoder rle_;
  // BIT_PACKED state: the section, its width and the next level's index.
  std::span<const uint8_t> packed_;
  int bit_width_ = 0;
  int64_t packed_count_ = 0;
  int64_t packed_next_ = 0;
  std::vector<uint32_t> scratch_;
};

// Appends levels as RLE (without the v1 length prefix; add it with AppendLengthPrefixed).
void EncodeLevelsRle(std::span<const int16_t> levels, int16_t max_level, std::vector<uint8_t>* out);
// Appends levels as BIT_PACKED (for tests and old-format interop).
void EncodeLevelsBitPacked(std::span<const int16_t> levels, int16_t max_level,
                           std::vector<uint8_t>* out);
// Appends a 4-byte little-endian length then `bytes` (v1 levels, RLE booleans).
void AppendLengthPrefixed(std::span<const uint8_t> bytes, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
