#include "sluice/io/parquet/plain.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "sluice/base/error.h"

namespace sluice::parquet {

// PLAIN values are little endian; decoding copies them as they are.
static_assert(std::endian::native == std::endian::little);

int64_t PlainDecoder::DecodeBooleans(uint8_t* out, int64_t count) {
  int64_t done = 0;
  while (done < count && pos_ < data_.size()) {
    out[done++] = (data_[pos_] >> bit_) & 1;
    if (++bit_ == 8) {
      bit_ = 0;
      ++pos_;
    }
  }
  return done;
}

template <typename T>
int64_t PlainDecoder::DecodeFixed(T* out, int64_t count) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8 || sizeof(T) == 12);
  int64_t n = std::min<int64_t>(count, remaining_bytes() / sizeof(T));
  if (n > 0) std::memcpy(out, data_.data() + pos_, n * sizeof(T));
  pos_ += n * sizeof(T);
  return n;
}

template int64_t PlainDecoder::DecodeFixed<int32_t>(int32_t*, int64_t);
template int64_t PlainDecoder::DecodeFixed<int64_t>(int64_t*, int64_t);
template int64_t PlainDecoder::DecodeFixed<float>(float*, int64_t);
template int64_t PlainDecoder::DecodeFixed<double>(double*, int64_t);
template int64_t PlainDecoder::DecodeFixed<Int96>(Int96*, int64_t);

int64_t PlainDecoder::DecodeFixedLenByteArrays(int32_t width, uint8_t* out, int64_t count) {
  if (width <= 0) throw InvalidData("PLAIN: FIXED_LEN_BYTE_ARRAY width {} is not positive", width);
  int64_t n = std::min<int64_t>(count, remaining_bytes() / width);
  if (n > 0) std::memcpy(out, data_.data() + pos_, n * width);
  pos_ += n * width;
  return n;
}

int64_t PlainDecoder::DecodeByteArrays(ByteArrayBuffer* out, int64_t count) {
  int64_t done = 0;
  while (done < count && remaining_bytes() >= 4) {
    uint32_t length;
    std::memcpy(&length, data_.data() + pos_, 4);
    if (length > remaining_bytes() - 4) {
      throw InvalidData("PLAIN: a byte array of {} bytes passes the end of the page", length)
          .With("offset", std::to_string(pos_));
    }
    out->Append(data_.data() + pos_ + 4, length);
    pos_ += 4 + length;
    ++done;
  }
  return done;
}

int64_t PlainDecoder::DecodeByteArrays(int64_t count, int32_t* ends, BufferBuilder* data) {
  const uint8_t* bytes = data_.data();
  const size_t size = data_.size();
  const int64_t base = data->size();
  int64_t end = base;
  size_t pos = pos_;
  int64_t done = 0;
  for (; done < count && size - pos >= 4; ++done) {
    uint32_t length;
    std::memcpy(&length, bytes + pos, 4);
    if (length > size - pos - 4) {
      throw InvalidData("PLAIN: a byte array of {} bytes passes the end of the page", length)
          .With("offset", std::to_string(pos));
    }
    end += length;
    ends[done] = static_cast<int32_t>(end);
    pos += 4 + length;
  }
  if (end > std::numeric_limits<int32_t>::max()) {
    throw ResourceExhausted("a batch of byte arrays passed 2 GiB; use smaller batches");
  }
  data->Reserve(end - base);
  uint8_t* out = data->mutable_data() + base;
  // Value i's bytes follow its 4-byte length, after the i values (and lengths) before it.
  const uint8_t* in = bytes + pos_;
  int64_t previous = base;
  for (int64_t i = 0; i < done; ++i) {
    size_t length = static_cast<size_t>(ends[i] - previous);
    std::memcpy(out, in + 4, length);
    out += length;
    in += 4 + length;
    previous = ends[i];
  }
  data->UnsafeAdvance(end - base);
  pos_ = pos;
  return done;
}

void PlainEncodeBooleans(std::span<const uint8_t> values, std::vector<uint8_t>* out) {
  size_t start = out->size();
  out->resize(start + (values.size() + 7) / 8, 0);
  uint8_t* dst = out->data() + start;
  const size_t n = values.size();
  size_t i = 0;
  // Eight values at once: each nonzero byte becomes 0x01, then one multiply gathers byte k's
  // bit into bit 56 + k.
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, values.data() + i, 8);
    w = ((((w & kLow7) + kLow7) | w) >> 7) & 0x0101010101010101ULL;
    dst[i / 8] = static_cast<uint8_t>((w * 0x0102040810204080ULL) >> 56);
  }
  for (; i < n; ++i) {
    if (values[i]) dst[i / 8] |= static_cast<uint8_t>(1 << (i % 8));
  }
}

template <typename T>
void PlainEncodeFixed(std::span<const T> values, std::vector<uint8_t>* out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(values.data());
  out->insert(out->end(), bytes, bytes + values.size_bytes());
}

template void PlainEncodeFixed<int32_t>(std::span<const int32_t>, std::vector<uint8_t>*);
template void PlainEncodeFixed<int64_t>(std::span<const int64_t>, std::vector<uint8_t>*);
template void PlainEncodeFixed<float>(std::span<const float>, std::vector<uint8_t>*);
template void PlainEncodeFixed<double>(std::span<const double>, std::vector<uint8_t>*);
template void PlainEncodeFixed<Int96>(std::span<const Int96>, std::vector<uint8_t>*);

void PlainEncodeByteArrays(const ByteArrayBuffer& values, std::vector<uint8_t>* out) {
  out->reserve(out->size() + values.data.size() + 4 * values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    std::string_view value = values[i];
    uint32_t length = static_cast<uint32_t>(value.size());
    uint8_t prefix[4];
    std::memcpy(prefix, &length, 4);
    out->insert(out->end(), prefix, prefix + 4);
    out->insert(out->end(), value.begin(), value.end());
  }
}

}  // namespace sluice::parquet
