#include "sluice/io/parquet/delta_byte_array.h"

#include <algorithm>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

constexpr int64_t kChunk = 1024;

}  // namespace

DeltaLengthByteArrayDecoder::DeltaLengthByteArrayDecoder(std::span<const uint8_t> data)
    : data_(data), lengths_(data) {
  bytes_begin_ = DeltaBinaryPackedDecoder<int32_t>::EncodedSize(data);
}

int64_t DeltaLengthByteArrayDecoder::DecodeViews(std::string_view* out, int64_t count) {
  int64_t done = 0;
  while (done < count) {
    int64_t want = std::min(kChunk, count - done);
    length_chunk_.resize(want);
    int64_t n = lengths_.Decode(length_chunk_.data(), want);
    if (n == 0) break;
    for (int64_t i = 0; i < n; ++i) {
      int32_t length = length_chunk_[i];
      size_t available = data_.size() - bytes_begin_ - bytes_pos_;
      if (length < 0 || static_cast<size_t>(length) > available) {
        throw InvalidData("DELTA_LENGTH_BYTE_ARRAY: length {} with {} bytes left", length,
                          available);
      }
      out[done + i] = std::string_view(
          reinterpret_cast<const char*>(data_.data()) + bytes_begin_ + bytes_pos_, length);
      bytes_pos_ += length;
    }
    done += n;
  }
  return done;
}

int64_t DeltaLengthByteArrayDecoder::Decode(ByteArrayBuffer* out, int64_t count) {
  std::string_view views[kChunk];
  int64_t done = 0;
  while (done < count) {
    int64_t n = DecodeViews(views, std::min(kChunk, count - done));
    if (n == 0) break;
    for (int64_t i = 0; i < n; ++i) out->Append(views[i]);
    done += n;
  }
  return done;
}

DeltaByteArrayDecoder::DeltaByteArrayDecoder(std::span<const uint8_t> data) : prefixes_(data) {
  size_t prefix_size = DeltaBinaryPackedDecoder<int32_t>::EncodedSize(data);
  suffixes_ = DeltaLengthByteArrayDecoder(data.subspan(prefix_size));
  if (suffixes_.total_values() != prefixes_.total_values()) {
    throw InvalidData("DELTA_BYTE_ARRAY: {} prefix lengths but {} suffixes",
                      prefixes_.total_values(), suffixes_.total_values());
  }
}

int64_t DeltaByteArrayDecoder::Decode(ByteArrayBuffer* out, int64_t count) {
  int64_t done = 0;
  while (done < count) {
    int64_t want = std::min(kChunk, count - done);
    prefix_chunk_.resize(want);
    suffix_chunk_.resize(want);
    int64_t n = prefixes_.Decode(prefix_chunk_.data(), want);
    if (n == 0) break;
    if (suffixes_.DecodeViews(suffix_chunk_.data(), n) != n) {
      throw InvalidData("DELTA_BYTE_ARRAY: the suffixes end before the prefixes");
    }
    for (int64_t i = 0; i < n; ++i) {
      int32_t prefix = prefix_chunk_[i];
      if (prefix < 0 || static_cast<size_t>(prefix) > last_.size()) {
        throw InvalidData("DELTA_BYTE_ARRAY: prefix length {} but the previous value has {} bytes",
                          prefix, last_.size());
      }
      last_.resize(prefix);
      last_.append(suffix_chunk_[i]);
      out->Append(last_);
    }
    done += n;
  }
  return done;
}

void DeltaLengthByteArrayEncode(const ByteArrayBuffer& values, std::vector<uint8_t>* out) {
  std::vector<int32_t> lengths(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    lengths[i] = values.offsets[i + 1] - values.offsets[i];
  }
  DeltaBinaryPackedEncode<int32_t>(lengths, out);
  out->insert(out->end(), values.data.begin(), values.data.end());
}

void DeltaByteArrayEncode(const ByteArrayBuffer& values, std::vector<uint8_t>* out) {
  std::vector<int32_t> prefixes(values.size());
  ByteArrayBuffer suffixes;
  std::string_view previous;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string_view value = values[i];
    size_t limit = std::min(previous.size(), value.size());
    size_t prefix = 0;
    while (prefix < limit && previous[prefix] == value[prefix]) ++prefix;
    prefixes[i] = static_cast<int32_t>(prefix);
    suffixes.Append(value.substr(prefix));
    previous = value;
  }
  DeltaBinaryPackedEncode<int32_t>(prefixes, out);
  DeltaLengthByteArrayEncode(suffixes, out);
}

}  // namespace sluice::parquet
