#include "sluice/io/parquet/delta_binary_packed.h"

#include <algorithm>
#include <limits>

#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"

namespace sluice::parquet {
namespace {

constexpr uint32_t kMaxBlockSize = 1 << 16;
constexpr uint32_t kEncodeBlockSize = 128;
constexpr uint32_t kEncodeMiniblocks = 4;

// A cursor over ULEB128 and zigzag varints that fails with InvalidData.
struct VarintCursor {
  std::span<const uint8_t> data;
  size_t pos;

  uint64_t ReadUleb() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= data.size()) Fail("truncated varint");
      uint8_t byte = data[pos++];
      if (shift == 63 && byte > 1) Fail("varint overflows 64 bits");
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return result;
    }
    Fail("varint is too long");
  }
  int64_t ReadZigZag() {
    uint64_t n = ReadUleb();
    return static_cast<int64_t>(n >> 1) ^ -static_cast<int64_t>(n & 1);
  }
  [[noreturn]] void Fail(const char* what) const {
    throw InvalidData("DELTA_BINARY_PACKED: {}", what).With("offset", std::to_string(pos));
  }
};

struct Header {
  uint32_t block_size;
  uint32_t miniblocks;
  uint32_t miniblock_size;
  int64_t total_values;
  int64_t first_value;
};

Header ReadHeader(VarintCursor& cursor) {
  Header h;
  uint64_t block_size = cursor.ReadUleb();
  uint64_t miniblocks = cursor.ReadUleb();
  uint64_t total = cursor.ReadUleb();
  h.first_value = cursor.ReadZigZag();
  if (block_size == 0 || block_size % 128 != 0 || block_size > kMaxBlockSize) {
    cursor.Fail("block size is not a multiple of 128 in [128, 65536]");
  }
  if (miniblocks == 0 || block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    cursor.Fail("miniblock count does not divide the block into multiples of 32 values");
  }
  if (total > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    cursor.Fail("value count exceeds 2^31-1");
  }
  h.block_size = static_cast<uint32_t>(block_size);
  h.miniblocks = static_cast<uint32_t>(miniblocks);
  h.miniblock_size = h.block_size / h.miniblocks;
  h.total_values = static_cast<int64_t>(total);
  return h;
}

void AppendUleb(uint64_t value, std::vector<uint8_t>* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<uint8_t>(value));
}

void AppendZigZag(int64_t value, std::vector<uint8_t>* out) {
  AppendUleb((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63), out);
}

}  // namespace

template <typename T>
DeltaBinaryPackedDecoder<T>::DeltaBinaryPackedDecoder(std::span<const uint8_t> data) : data_(data) {
  VarintCursor cursor{data, 0};
  Header h = ReadHeader(cursor);
  pos_ = cursor.pos;
  block_size_ = h.block_size;
  miniblocks_ = h.miniblocks;
  miniblock_size_ = h.miniblock_size;
  total_values_ = h.total_values;
  values_left_ = h.total_values;
  first_pending_ = h.total_values > 0;
  last_ = static_cast<U>(h.first_value);
  miniblock_index_ = miniblocks_;
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::Fail(const char* what) const {
  throw InvalidData("DELTA_BINARY_PACKED: {}", what).With("offset", std::to_string(pos_));
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::StartBlock() {
  VarintCursor cursor{data_, pos_};
  min_delta_ = static_cast<U>(cursor.ReadZigZag());
  pos_ = cursor.pos;
  if (data_.size() - pos_ < miniblocks_) Fail("truncated miniblock bit widths");
  bit_widths_.assign(data_.begin() + pos_, data_.begin() + pos_ + miniblocks_);
  pos_ += miniblocks_;
  miniblock_index_ = 0;
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::StartMiniblock() {
  if (miniblock_index_ == miniblocks_) StartBlock();
  int width = bit_widths_[miniblock_index_++];
  if (width > static_cast<int>(sizeof(T) * 8)) Fail("miniblock bit width exceeds the type");
  // Only the values still wanted must be present; the padding after them may be cut.
  size_t wanted = std::min<int64_t>(miniblock_size_, values_left_);
  size_t full_bytes = BitPackedSize(miniblock_size_, width);
  size_t needed_bytes = BitPackedSize(wanted, width);
  if (data_.size() - pos_ < needed_bytes) Fail("truncated miniblock");
  deltas_.resize(wanted);
  UnpackBits(data_.data() + pos_, width, deltas_.data(), wanted);
  delta_index_ = 0;
  pos_ += std::min(full_bytes, data_.size() - pos_);
}

template <typename T>
int64_t DeltaBinaryPackedDecoder<T>::Decode(T* out, int64_t count) {
  int64_t n = std::min(count, values_left_);
  int64_t done = 0;
  if (n > 0 && first_pending_) {
    out[done++] = static_cast<T>(last_);
    first_pending_ = false;
    --values_left_;
  }
  while (done < n) {
    if (delta_index_ == deltas_.size()) StartMiniblock();
    size_t m = std::min<size_t>(n - done, deltas_.size() - delta_index_);
    const uint64_t* deltas = deltas_.data() + delta_index_;
    U last = last_;
    for (size_t i = 0; i < m; ++i) {
      last += min_delta_ + static_cast<U>(deltas[i]);
      out[done + i] = static_cast<T>(last);
    }
    last_ = last;
    delta_index_ += m;
    done += m;
    values_left_ -= m;
  }
  return done;
}

template <typename T>
size_t DeltaBinaryPackedDecoder<T>::EncodedSize(std::span<const uint8_t> data) {
  VarintCursor cursor{data, 0};
  Header h = ReadHeader(cursor);
  // The first value is in the header; blocks hold the rest.
  int64_t left = h.total_values > 0 ? h.total_values - 1 : 0;
  while (left > 0) {
    cursor.ReadZigZag();
    if (data.size() - cursor.pos < h.miniblocks) cursor.Fail("truncated miniblock bit widths");
    const uint8_t* widths = data.data() + cursor.pos;
    cursor.pos += h.miniblocks;
    for (uint32_t m = 0; m < h.miniblocks && left > 0; ++m) {
      if (widths[m] > sizeof(T) * 8) cursor.Fail("miniblock bit width exceeds the type");
      size_t wanted = std::min<int64_t>(h.miniblock_size, left);
      if (data.size() - cursor.pos < BitPackedSize(wanted, widths[m])) {
        cursor.Fail("truncated miniblock");
      }
      cursor.pos += std::min(BitPackedSize(h.miniblock_size, widths[m]), data.size() - cursor.pos);
      left -= wanted;
    }
  }
  return cursor.pos;
}

template <typename T>
void DeltaBinaryPackedEncode(std::span<const T> values, std::vector<uint8_t>* out) {
  using U = std::make_unsigned_t<T>;
  AppendUleb(kEncodeBlockSize, out);
  AppendUleb(kEncodeMiniblocks, out);
  AppendUleb(values.size(), out);
  AppendZigZag(values.empty() ? 0 : values[0], out);
  constexpr uint32_t kMiniblockSize = kEncodeBlockSize / kEncodeMiniblocks;
  uint64_t deltas[kEncodeBlockSize];
  for (size_t start = 1; start < values.size(); start += kEncodeBlockSize) {
    size_t n = std::min<size_t>(kEncodeBlockSize, values.size() - start);
    T min_delta = std::numeric_limits<T>::max();
    for (size_t i = 0; i < n; ++i) {
      T delta =
          static_cast<T>(static_cast<U>(values[start + i]) - static_cast<U>(values[start + i - 1]));
      deltas[i] = static_cast<U>(delta);
      min_delta = std::min(min_delta, delta);
    }
    AppendZigZag(min_delta, out);
    uint8_t widths[kEncodeMiniblocks] = {};
    for (size_t i = 0; i < n; ++i) {
      deltas[i] = static_cast<U>(static_cast<U>(deltas[i]) - static_cast<U>(min_delta));
      widths[i / kMiniblockSize] =
          std::max<uint8_t>(widths[i / kMiniblockSize], BitWidthOf(deltas[i]));
    }
    std::fill(deltas + n, deltas + kEncodeBlockSize, 0);
    out->insert(out->end(), widths, widths + kEncodeMiniblocks);
    size_t used = (n + kMiniblockSize - 1) / kMiniblockSize;
    for (size_t m = 0; m < used; ++m) {
      PackBits(deltas + m * kMiniblockSize, kMiniblockSize, widths[m], out);
    }
  }
}

template class DeltaBinaryPackedDecoder<int32_t>;
template class DeltaBinaryPackedDecoder<int64_t>;
template void DeltaBinaryPackedEncode<int32_t>(std::span<const int32_t>, std::vector<uint8_t>*);
template void DeltaBinaryPackedEncode<int64_t>(std::span<const int64_t>, std::vector<uint8_t>*);

}  // namespace sluice::parquet
