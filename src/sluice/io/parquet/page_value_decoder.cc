#include "sluice/io/parquet/page_value_decoder.h"

#include <cstring>

#include "sluice/base/error.h"

namespace sluice::parquet {

int32_t PhysicalValueWidth(PhysicalType type, int32_t type_length) {
  switch (type) {
    case PhysicalType::kBoolean:
      return 1;
    case PhysicalType::kByteArray:
      return 0;
    case PhysicalType::kFixedLenByteArray:
      return type_length;
    default:
      return FixedWidthOf(type);
  }
}

PageValueDecoder::PageValueDecoder(PhysicalType type, int32_t type_length)
    : type_(type), width_(PhysicalValueWidth(type, type_length)) {}

void PageValueDecoder::Reset(Encoding encoding, std::span<const uint8_t> data,
                             const PhysicalValues* dictionary) {
  encoding_ = encoding;
  dictionary_ = dictionary;
  auto refuse = [&]() {
    throw InvalidData("encoding {} is not defined for {} values", EncodingName(encoding),
                      PhysicalTypeName(type_));
  };
  switch (encoding) {
    case Encoding::kPlain:
      plain_ = PlainDecoder(data);
      return;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary:
      if (dictionary == nullptr) {
        throw InvalidData("a {} page comes without a dictionary page", EncodingName(encoding));
      }
      rle_ = RleBitPackedDecoder::ForDictionaryIndices(data);
      return;
    case Encoding::kRle:
      if (type_ != PhysicalType::kBoolean) refuse();
      rle_ = RleBitPackedDecoder::ForBooleans(data);
      return;
    case Encoding::kDeltaBinaryPacked:
      if (type_ == PhysicalType::kInt32) {
        delta32_ = DeltaBinaryPackedDecoder<int32_t>(data);
      } else if (type_ == PhysicalType::kInt64) {
        delta64_ = DeltaBinaryPackedDecoder<int64_t>(data);
      } else {
        refuse();
      }
      return;
    case Encoding::kDeltaLengthByteArray:
      if (type_ != PhysicalType::kByteArray) refuse();
      delta_length_ = DeltaLengthByteArrayDecoder(data);
      return;
    case Encoding::kDeltaByteArray:
      if (type_ != PhysicalType::kByteArray && type_ != PhysicalType::kFixedLenByteArray) refuse();
      delta_bytes_ = DeltaByteArrayDecoder(data);
      return;
    case Encoding::kByteStreamSplit:
      if (type_ == PhysicalType::kBoolean || type_ == PhysicalType::kByteArray ||
          type_ == PhysicalType::kInt96) {
        refuse();
      }
      split_ = ByteStreamSplitDecoder(data, width_);
      return;
    default:
      refuse();
  }
}

void PageValueDecoder::Short(int64_t got, int64_t count) const {
  throw InvalidData("the {} values hold {} values where {} were expected", EncodingName(encoding_),
                    got, count);
}

void PageValueDecoder::Decode(int64_t count, PhysicalValues* out) {
  if (count == 0) return;
  size_t old_size = out->fixed.size();
  uint8_t* fixed = nullptr;
  if (width_ > 0) {
    out->fixed.resize(old_size + static_cast<size_t>(count) * width_);
    fixed = out->fixed.data() + old_size;
  }
  int64_t got = 0;
  switch (encoding_) {
    case Encoding::kPlain:
      if (type_ == PhysicalType::kBoolean) {
        got = plain_.DecodeBooleans(fixed, count);
      } else if (type_ == PhysicalType::kByteArray) {
        got = plain_.DecodeByteArrays(&out->binary, count);
      } else {
        got = plain_.DecodeFixedLenByteArrays(width_, fixed, count);
      }
      break;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary:
      if (width_ > 0) out->fixed.resize(old_size);
      DecodeDictionary(count, out);
      return;
    case Encoding::kRle: {
      indices_.resize(static_cast<size_t>(count));
      got = rle_.GetBatch(indices_.data(), count);
      for (int64_t i = 0; i < got; ++i) fixed[i] = indices_[i] != 0;
      break;
    }
    case Encoding::kDeltaBinaryPacked:
      got = type_ == PhysicalType::kInt32
                ? delta32_.Decode(reinterpret_cast<int32_t*>(fixed), count)
                : delta64_.Decode(reinterpret_cast<int64_t*>(fixed), count);
      break;
    case Encoding::kDeltaLengthByteArray:
      got = delta_length_.Decode(&out->binary, count);
      break;
    case Encoding::kDeltaByteArray:
      if (type_ == PhysicalType::kByteArray) {
        got = delta_bytes_.Decode(&out->binary, count);
      } else {
        scratch_.Clear();
        got = delta_bytes_.Decode(&scratch_, count);
        for (int64_t i = 0; i < got; ++i) {
          std::string_view value = scratch_[i];
          if (value.size() != static_cast<size_t>(width_)) {
            throw InvalidData("DELTA_BYTE_ARRAY value of {} bytes in a FIXED_LEN_BYTE_ARRAY({})",
                              value.size(), width_);
          }
          std::memcpy(fixed + i * width_, value.data(), value.size());
        }
      }
      break;
    case Encoding::kByteStreamSplit:
      got = split_.Decode(fixed, count);
      break;
    default:
      throw InvalidData("encoding {} is not supported for values", EncodingName(encoding_));
  }
  if (got != count) Short(got, count);
}

void PageValueDecoder::DecodeDictionary(int64_t count, PhysicalValues* out) {
  indices_.resize(static_cast<size_t>(count));
  int64_t got = rle_.GetIndices(indices_.data(), count, static_cast<uint32_t>(dictionary_->size()));
  if (got != count) Short(got, count);
  if (width_ == 0) {
    const ByteArrayBuffer& dict = dictionary_->binary;
    for (int64_t i = 0; i < count; ++i) out->binary.Append(dict[indices_[i]]);
    return;
  }
  size_t old_size = out->fixed.size();
  out->fixed.resize(old_size + static_cast<size_t>(count) * width_);
  uint8_t* dst = out->fixed.data() + old_size;
  const uint8_t* src = dictionary_->fixed.data();
  switch (width_) {
    case 1:
      for (int64_t i = 0; i < count; ++i) dst[i] = src[indices_[i]];
      break;
    case 4:
      for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * 4, src + indices_[i] * 4, 4);
      break;
    case 8:
      for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * 8, src + indices_[i] * 8, 8);
      break;
    default:
      for (int64_t i = 0; i < count; ++i) {
        std::memcpy(dst + i * width_, src + static_cast<size_t>(indices_[i]) * width_, width_);
      }
  }
}

void DecodeDictionaryPage(PhysicalType type, int32_t type_length, std::span<const uint8_t> data,
                          int64_t count, PhysicalValues* out) {
  int32_t width = PhysicalValueWidth(type, type_length);
  out->width = width;
  out->Clear();
  if (count < 0) throw InvalidData("the dictionary page claims {} values", count);
  // Every PLAIN value takes at least this many bits, so a count the page cannot hold is refused
  // before anything is allocated for it.
  int64_t min_bits = type == PhysicalType::kBoolean     ? 1
                     : type == PhysicalType::kByteArray ? 32
                                                        : 8 * static_cast<int64_t>(width);
  if (count > static_cast<int64_t>(data.size()) * 8 / min_bits) {
    throw InvalidData("the dictionary page claims {} values but has only {} bytes", count,
                      data.size());
  }
  PageValueDecoder decoder(type, type_length);
  decoder.Reset(Encoding::kPlain, data, nullptr);
  decoder.Decode(count, out);
}

}  // namespace sluice::parquet
