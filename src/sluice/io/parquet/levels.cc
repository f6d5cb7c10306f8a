#include "sluice/io/parquet/levels.h"

#include <algorithm>
#include <cstring>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"
#include "sluice/table/bitmap.h"

namespace sluice::parquet {
namespace {

constexpr int64_t kChunk = 1024;

int LevelBitWidth(int16_t max_level) {
  if (max_level < 0) throw InvalidData("levels: negative max level {}", max_level);
  return BitWidthOf(static_cast<uint64_t>(max_level));
}

}  // namespace

LevelDecoder LevelDecoder::ForDataPageV1(Encoding encoding, int16_t max_level, int32_t num_values,
                                         std::span<const uint8_t> page_data) {
  LevelDecoder decoder;
  decoder.max_level_ = max_level;
  int width = LevelBitWidth(max_level);
  if (max_level == 0) return decoder;
  if (encoding == Encoding::kRle) {
    if (page_data.size() < 4) throw InvalidData("levels: no room for the RLE length prefix");
    uint32_t length;
    std::memcpy(&length, page_data.data(), 4);
    if (length > page_data.size() - 4) {
      throw InvalidData("levels: RLE length {} passes the end of the {}-byte page", length,
                        page_data.size());
    }
    decoder.kind_ = Kind::kRle;
    decoder.rle_ = RleBitPackedDecoder(page_data.subspan(4, length), width);
    decoder.encoded_size_ = 4 + length;
    return decoder;
  }
  if (encoding == Encoding::kBitPacked) {
    if (num_values < 0) throw InvalidData("levels: negative value count {}", num_values);
    size_t size = BitPackedSize(num_values, width);
    if (size > page_data.size()) {
      throw InvalidData("levels: {} BIT_PACKED levels need {} bytes, the page has {}", num_values,
                        size, page_data.size());
    }
    decoder.kind_ = Kind::kBitPacked;
    decoder.packed_ = page_data.subspan(0, size);
    decoder.bit_width_ = width;
    decoder.packed_count_ = num_values;
    decoder.encoded_size_ = size;
    return decoder;
  }
  throw InvalidData("levels: unsupported level encoding {}", EncodingName(encoding));
}

LevelDecoder LevelDecoder::ForDataPageV2(int16_t max_level, std::span<const uint8_t> levels) {
  LevelDecoder decoder;
  decoder.max_level_ = max_level;
  int width = LevelBitWidth(max_level);
  decoder.encoded_size_ = levels.size();
  if (max_level == 0) return decoder;
  decoder.kind_ = Kind::kRle;
  decoder.rle_ = RleBitPackedDecoder(levels, width);
  return decoder;
}

int64_t LevelDecoder::Decode(int16_t* out, int64_t count) {
  if (kind_ == Kind::kNone) {
    std::fill_n(out, count, 0);
    return count;
  }
  int64_t done = 0;
  while (done < count) {
    int64_t want = std::min(kChunk, count - done);
    scratch_.resize(want);
    int64_t n = 0;
    if (kind_ == Kind::kRle) {
      n = rle_.GetBatch(scratch_.data(), want);
    } else {
      n = std::min(want, packed_count_ - packed_next_);
      // MSB-first values may start mid-byte; decode them one bit at a time.
      size_t bit = static_cast<size_t>(packed_next_) * bit_width_;
      for (int64_t i = 0; i < n; ++i) {
        uint32_t value = 0;
        for (int b = 0; b < bit_width_; ++b, ++bit) {
          value = (value << 1) | ((packed_[bit / 8] >> (7 - bit % 8)) & 1);
        }
        scratch_[i] = value;
      }
      packed_next_ += n;
    }
    if (n == 0) break;
    for (int64_t i = 0; i < n; ++i) {
      if (scratch_[i] > static_cast<uint32_t>(max_level_)) {
        throw InvalidData("levels: level {} exceeds the max level {}", scratch_[i], max_level_);
      }
      out[done + i] = static_cast<int16_t>(scratch_[i]);
    }
    done += n;
  }
  return done;
}

int64_t LevelDecoder::DecodeValidity(uint8_t* bits, int64_t count) {
  SLUICE_CHECK(max_level_ == 1);
  std::memset(bits, 0, static_cast<size_t>(BitmapBytes(count)));
  if (kind_ == Kind::kRle) return rle_.GetBits(bits, count);
  // BIT_PACKED (deprecated, MSB first): level by level.
  int64_t n = std::min(count, packed_count_ - packed_next_);
  for (int64_t i = 0; i < n; ++i, ++packed_next_) {
    if ((packed_[packed_next_ / 8] >> (7 - packed_next_ % 8)) & 1) SetBit(bits, i);
  }
  return n;
}

void EncodeLevelsRle(std::span<const int16_t> levels, int16_t max_level,
                     std::vector<uint8_t>* out) {
  std::vector<uint32_t> values(levels.begin(), levels.end());
  RleBitPackedEncode(values, LevelBitWidth(max_level), out);
}

void EncodeLevelsBitPacked(std::span<const int16_t> levels, int16_t max_level,
                           std::vector<uint8_t>* out) {
  std::vector<uint32_t> values(levels.begin(), levels.end());
  PackBitsMsbFirst(values.data(), values.size(), LevelBitWidth(max_level), out);
}

void AppendLengthPrefixed(std::span<const uint8_t> bytes, std::vector<uint8_t>* out) {
  uint32_t length = static_cast<uint32_t>(bytes.size());
  uint8_t prefix[4];
  std::memcpy(prefix, &length, 4);
  out->insert(out->end(), prefix, prefix + 4);
  out->insert(out->end(), bytes.begin(), bytes.end());
}

}  // namespace sluice::parquet
