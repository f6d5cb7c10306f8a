#include "sluice/io/parquet/byte_stream_split.h"

#include <algorithm>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

// Gathers values [first, first + count) from `streams` (each `stride` bytes long).
template <int W>
void Gather(const uint8_t* streams, int64_t stride, int64_t first, int64_t count, uint8_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    for (int b = 0; b < W; ++b) out[i * W + b] = streams[b * stride + first + i];
  }
}

void GatherAny(int width, const uint8_t* streams, int64_t stride, int64_t first, int64_t count,
               uint8_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    for (int b = 0; b < width; ++b) out[i * width + b] = streams[b * stride + first + i];
  }
}

}  // namespace

ByteStreamSplitDecoder::ByteStreamSplitDecoder(std::span<const uint8_t> data, int width)
    : data_(data), width_(width) {
  if (width <= 0) throw InvalidData("BYTE_STREAM_SPLIT: width {} is not positive", width);
  if (data.size() % width != 0) {
    throw InvalidData("BYTE_STREAM_SPLIT: {} bytes is not a whole number of {}-byte values",
                      data.size(), width);
  }
  num_values_ = static_cast<int64_t>(data.size() / width);
}

int64_t ByteStreamSplitDecoder::Decode(uint8_t* out, int64_t count) {
  int64_t n = std::min(count, num_values_ - next_);
  if (n <= 0) return 0;
  switch (width_) {
    case 2:
      Gather<2>(data_.data(), num_values_, next_, n, out);
      break;
    case 4:
      Gather<4>(data_.data(), num_values_, next_, n, out);
      break;
    case 8:
      Gather<8>(data_.data(), num_values_, next_, n, out);
      break;
    default:
      GatherAny(width_, data_.data(), num_values_, next_, n, out);
  }
  next_ += n;
  return n;
}

void ByteStreamSplitEncode(std::span<const uint8_t> values, int width, std::vector<uint8_t>* out) {
  SLUICE_CHECK_GT(width, 0);
  SLUICE_CHECK_EQ(values.size() % width, 0u);
  size_t n = values.size() / width;
  size_t start = out->size();
  out->resize(start + values.size());
  uint8_t* dst = out->data() + start;
  for (size_t i = 0; i < n; ++i) {
    for (int b = 0; b < width; ++b) dst[b * n + i] = values[i * width + b];
  }
}

}  // namespace sluice::parquet
