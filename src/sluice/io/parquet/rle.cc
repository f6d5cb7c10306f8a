#include "sluice/io/parquet/rle.h"

#include <algorithm>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"
#include "sluice/table/bitmap.h"

namespace sluice::parquet {
namespace {

constexpr int64_t kMaxRunLength = std::numeric_limits<int32_t>::max();

void AppendVarint(uint64_t value, std::vector<uint8_t>* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<uint8_t>(value));
}

// InvalidData unless every index is below `size`. SSE2 (every x86-64) compares four at a time:
// unsigned order is signed order after flipping the sign bits.
void CheckIndices(const uint32_t* indices, int64_t n, uint32_t size) {
  int64_t i = 0;
  bool bad = size == 0 && n > 0;
#ifdef __SSE2__
  if (size > 0) {
    const __m128i sign = _mm_set1_epi32(std::numeric_limits<int32_t>::min());
    const __m128i last = _mm_xor_si128(_mm_set1_epi32(static_cast<int32_t>(size - 1)), sign);
    __m128i over = _mm_setzero_si128();
    for (; i + 4 <= n; i += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(indices + i));
      over = _mm_or_si128(over, _mm_cmpgt_epi32(_mm_xor_si128(v, sign), last));
    }
    bad = _mm_movemask_epi8(over) != 0;
  }
#endif
  for (; i < n; ++i) bad |= indices[i] >= size;
  if (!bad) return;
  const uint32_t max = *std::max_element(indices, indices + n);
  throw InvalidData("dictionary index {} is out of range for a dictionary of {} values", max, size);
}

}  // namespace

RleBitPackedDecoder::RleBitPackedDecoder(std::span<const uint8_t> data, int bit_width)
    : data_(data), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) {
    throw InvalidData("RLE: bit width {} is outside [0, 32]", bit_width);
  }
}

RleBitPackedDecoder RleBitPackedDecoder::ForDictionaryIndices(std::span<const uint8_t> data) {
  if (data.empty()) throw InvalidData("RLE: the dictionary index data has no bit width byte");
  return RleBitPackedDecoder(data.subspan(1), data[0]);
}

RleBitPackedDecoder RleBitPackedDecoder::ForBooleans(std::span<const uint8_t> data) {
  if (data.size() < 4) throw InvalidData("RLE: the boolean data has no length prefix");
  uint32_t length = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
                    static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24;
  if (length > data.size() - 4) {
    throw InvalidData("RLE: boolean length {} passes the end of the {}-byte page", length,
                      data.size());
  }
  return RleBitPackedDecoder(data.subspan(4, length), 1);
}

void RleBitPackedDecoder::Fail(const char* what) const {
  throw InvalidData("RLE: {}", what).With("offset", std::to_string(pos_));
}

bool RleBitPackedDecoder::NextRun() {
  while (pos_ < data_.size()) {
    uint64_t header = 0;
    int shift = 0;
    while (true) {
      if (pos_ >= data_.size()) Fail("truncated run header");
      uint8_t byte = data_[pos_++];
      header |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
      shift += 7;
      if (shift > 28) Fail("run header varint is too long");
    }
    if (header & 1) {
      int64_t values = static_cast<int64_t>(header >> 1) * 8;
      if (values > kMaxRunLength + 7) Fail("bit-packed run is longer than 2^31-1 values");
      size_t available = data_.size() - pos_;
      if (bit_width_ > 0) {
        // A final run cut short keeps the whole values that are present.
        int64_t present = static_cast<int64_t>(available * 8 / bit_width_);
        values = std::min(values, present);
      }
      packed_ = data_.data() + pos_;
      packed_left_ = values;
      packed_index_ = 0;
      group_begin_ = group_end_ = 0;
      pos_ += std::min(available, BitPackedSize(values, bit_width_));
      if (values > 0) return true;
    } else {
      int64_t count = static_cast<int64_t>(header >> 1);
      if (count > kMaxRunLength) Fail("repeated run is longer than 2^31-1 values");
      size_t width_bytes = (bit_width_ + 7) / 8;
      if (data_.size() - pos_ < width_bytes) Fail("truncated repeated value");
      uint64_t value = 0;
      for (size_t i = 0; i < width_bytes; ++i) {
        value |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
      }
      pos_ += width_bytes;
      if (bit_width_ < 32 && (value >> bit_width_) != 0)
        Fail("repeated value exceeds the bit width");
      rle_value_ = static_cast<uint32_t>(value);
      rle_left_ = count;
      if (count > 0) return true;
    }
  }
  return false;
}

template <typename Sink>
int64_t RleBitPackedDecoder::Drain(int64_t count, Sink& sink) {
  int64_t done = 0;
  while (done < count) {
    if (rle_left_ > 0) {
      int64_t n = std::min(rle_left_, count - done);
      sink.Repeat(done, n, rle_value_);
      rle_left_ -= n;
      done += n;
    } else if (group_begin_ < group_end_) {
      int64_t n = std::min<int64_t>(group_end_ - group_begin_, count - done);
      sink.Copy(done, group_ + group_begin_, n);
      group_begin_ += static_cast<int>(n);
      done += n;
    } else if (packed_left_ > 0) {
      // packed_index_ is a multiple of 8 here (partial groups go through group_).
      const uint8_t* src = packed_ + BitPackedSize(packed_index_, bit_width_);
      int64_t want = count - done;
      int64_t n = want >= packed_left_ ? packed_left_ : want / 8 * 8;
      if (n > 0) {
        sink.Unpack(done, src, n);
        done += n;
      } else {
        n = std::min<int64_t>(8, packed_left_);
        UnpackBits(src, bit_width_, group_, n);
        group_begin_ = 0;
        group_end_ = static_cast<int>(n);
      }
      packed_index_ += n;
      packed_left_ -= n;
    } else if (!NextRun()) {
      break;
    }
  }
  return done;
}

int64_t RleBitPackedDecoder::GetBatch(uint32_t* out, int64_t count) {
  struct {
    uint32_t* out;
    int bit_width;
    void Repeat(int64_t at, int64_t n, uint32_t value) { std::fill_n(out + at, n, value); }
    void Copy(int64_t at, const uint32_t* values, int64_t n) { std::copy_n(values, n, out + at); }
    void Unpack(int64_t at, const uint8_t* src, int64_t n) {
      UnpackBits(src, bit_width, out + at, n);
    }
  } sink{out, bit_width_};
  return Drain(count, sink);
}

int64_t RleBitPackedDecoder::GetBits(uint8_t* out, int64_t count) {
  SLUICE_CHECK(bit_width_ == 1);
  struct {
    uint8_t* out;
    void Repeat(int64_t at, int64_t n, uint32_t value) {
      if (value != 0) SetBits(out, at, n);
    }
    void Copy(int64_t at, const uint32_t* values, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        if (values[i] != 0) SetBit(out, at + i);
      }
    }
    void Unpack(int64_t at, const uint8_t* src, int64_t n) { CopyBits(src, 0, n, out, at); }
  } sink{out};
  return Drain(count, sink);
}

bool RleBitPackedDecoder::SkipRepeated(uint32_t value, int64_t count) {
  if (rle_left_ == 0 && group_begin_ == group_end_ && packed_left_ == 0 && !NextRun()) {
    return false;
  }
  if (rle_left_ < count || rle_value_ != value) return false;
  rle_left_ -= count;
  return true;
}

int64_t RleBitPackedDecoder::GetIndices(uint32_t* out, int64_t count, uint32_t dictionary_size) {
  // Checked where they are decoded: a repeated run once, bit-packed values only when the bit
  // width can express an index past the dictionary.
  struct {
    uint32_t* out;
    int bit_width;
    uint32_t size;
    void Repeat(int64_t at, int64_t n, uint32_t value) {
      CheckIndices(&value, 1, size);
      std::fill_n(out + at, n, value);
    }
    void Copy(int64_t at, const uint32_t* values, int64_t n) {
      CheckIndices(values, n, size);
      std::copy_n(values, n, out + at);
    }
    void Unpack(int64_t at, const uint8_t* src, int64_t n) {
      UnpackBits(src, bit_width, out + at, n);
      if ((uint64_t{1} << bit_width) > size) CheckIndices(out + at, n, size);
    }
  } sink{out, bit_width_, dictionary_size};
  return Drain(count, sink);
}

void RleBitPackedEncode(std::span<const uint32_t> values, int bit_width,
                        std::vector<uint8_t>* out) {
  SLUICE_CHECK(bit_width >= 0 && bit_width <= 32);
  const size_t n = values.size();
  const size_t width_bytes = (bit_width + 7) / 8;
  // The pending literal values are [literal, i); they are packed straight from `values`, the last
  // group padded with zero values (zero bytes).
  size_t literal = 0;
  auto flush_literal = [&](size_t end) {
    if (end == literal) return;
    const size_t groups = (end - literal + 7) / 8;
    AppendVarint((uint64_t{groups} << 1) | 1, out);
    const size_t start = out->size();
    PackBits(values.data() + literal, end - literal, bit_width, out);
    out->resize(start + groups * static_cast<size_t>(bit_width), 0);
    literal = end;
  };
  size_t i = 0;
  while (i < n) {
    size_t run = 1;
    while (i + run < n && values[i + run] == values[i] &&
           run < static_cast<size_t>(kMaxRunLength)) {
      ++run;
    }
    // A repeated run may only start on a group boundary of the pending literal run; a run that
    // ends the data is worth it even when short.
    const bool aligned = (i - literal) % 8 == 0;
    if (aligned && (run >= 8 || (i + run == n && i == literal))) {
      flush_literal(i);
      AppendVarint(uint64_t{run} << 1, out);
      for (size_t b = 0; b < width_bytes; ++b) {
        out->push_back(static_cast<uint8_t>(values[i] >> (8 * b)));
      }
      i += run;
      literal = i;
      continue;
    }
    // No value of a run shorter than 8 starts a repeated run: they all join the literal run.
    i += run < 8 ? run : 1;
    // Literal runs stay bounded (64 groups) so their headers stay small.
    if (i - literal >= 512) flush_literal(literal + 512);
  }
  flush_literal(n);
}

}  // namespace sluice::parquet
