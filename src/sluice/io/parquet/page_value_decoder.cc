#include "sluice/io/parquet/page_value_decoder.h"

#include <cstring>
#include <limits>

#include "sluice/base/check.h"
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
  if (width_ > 0) {
    size_t old_size = out->fixed.size();
    out->fixed.resize(old_size + static_cast<size_t>(count) * width_);
    DecodeFixed(count, out->fixed.data() + old_size);
    return;
  }
  int64_t got = 0;
  switch (encoding_) {
    case Encoding::kPlain:
      got = plain_.DecodeByteArrays(&out->binary, count);
      break;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      DecodeIndices(count);
      const ByteArrayBuffer& dict = dictionary_->binary;
      for (int64_t i = 0; i < count; ++i) out->binary.Append(dict[indices_[i]]);
      return;
    }
    case Encoding::kDeltaLengthByteArray:
      got = delta_length_.Decode(&out->binary, count);
      break;
    case Encoding::kDeltaByteArray:
      got = delta_bytes_.Decode(&out->binary, count);
      break;
    default:
      throw InvalidData("encoding {} is not supported for values", EncodingName(encoding_));
  }
  if (got != count) Short(got, count);
}

void PageValueDecoder::DecodeFixed(int64_t count, uint8_t* fixed) {
  if (count == 0) return;
  int64_t got = 0;
  switch (encoding_) {
    case Encoding::kPlain:
      if (type_ == PhysicalType::kBoolean) {
        got = plain_.DecodeBooleans(fixed, count);
      } else {
        got = plain_.DecodeFixedLenByteArrays(width_, fixed, count);
      }
      break;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      DecodeIndices(count);
      const uint8_t* src = dictionary_->fixed.data();
      const uint32_t* indices = indices_.data();
      switch (width_) {
        case 1:
          for (int64_t i = 0; i < count; ++i) fixed[i] = src[indices[i]];
          break;
        case 4:
          for (int64_t i = 0; i < count; ++i) std::memcpy(fixed + i * 4, src + indices[i] * 4, 4);
          break;
        case 8:
          for (int64_t i = 0; i < count; ++i) std::memcpy(fixed + i * 8, src + indices[i] * 8, 8);
          break;
        case 16:
          for (int64_t i = 0; i < count; ++i) {
            std::memcpy(fixed + i * 16, src + static_cast<size_t>(indices[i]) * 16, 16);
          }
          break;
        default:
          for (int64_t i = 0; i < count; ++i) {
            std::memcpy(fixed + i * width_, src + static_cast<size_t>(indices[i]) * width_, width_);
          }
      }
      return;
    }
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
    case Encoding::kDeltaByteArray: {
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
      break;
    }
    case Encoding::kByteStreamSplit:
      got = split_.Decode(fixed, count);
      break;
    default:
      throw InvalidData("encoding {} is not supported for values", EncodingName(encoding_));
  }
  if (got != count) Short(got, count);
}

void PageValueDecoder::DecodeBinary(int64_t count, int32_t* ends, BufferBuilder* data) {
  if (count == 0) return;
  int64_t got = 0;
  switch (encoding_) {
    case Encoding::kPlain:
      got = plain_.DecodeByteArrays(count, ends, data);
      break;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      // Gathered in two passes (ends, then bytes) so the data grows once.
      DecodeIndices(count);
      const int32_t* offsets = dictionary_->binary.offsets.data();
      const uint8_t* bytes = dictionary_->binary.data.data();
      const uint32_t* indices = indices_.data();
      const int64_t base = data->size();
      int64_t end = base;
      for (int64_t i = 0; i < count; ++i) {
        end += offsets[indices[i] + 1] - offsets[indices[i]];
        ends[i] = static_cast<int32_t>(end);
      }
      if (end > std::numeric_limits<int32_t>::max()) {
        throw ResourceExhausted("a batch of byte arrays passed 2 GiB; use smaller batches");
      }
      data->Reserve(end - base);
      uint8_t* out = data->mutable_data() + base;
      int64_t previous = base;
      for (int64_t i = 0; i < count; ++i) {
        size_t length = static_cast<size_t>(ends[i] - previous);
        std::memcpy(out, bytes + offsets[indices[i]], length);
        out += length;
        previous = ends[i];
      }
      data->UnsafeAdvance(end - base);
      return;
    }
    default: {
      scratch_.Clear();
      if (encoding_ == Encoding::kDeltaLengthByteArray) {
        got = delta_length_.Decode(&scratch_, count);
      } else if (encoding_ == Encoding::kDeltaByteArray) {
        got = delta_bytes_.Decode(&scratch_, count);
      } else {
        throw InvalidData("encoding {} is not supported for values", EncodingName(encoding_));
      }
      const int64_t base = data->size();
      if (base + static_cast<int64_t>(scratch_.data.size()) > std::numeric_limits<int32_t>::max()) {
        throw ResourceExhausted("a batch of byte arrays passed 2 GiB; use smaller batches");
      }
      data->Append(scratch_.data.data(), static_cast<int64_t>(scratch_.data.size()));
      for (int64_t i = 0; i < got; ++i) {
        ends[i] = static_cast<int32_t>(base + scratch_.offsets[static_cast<size_t>(i) + 1]);
      }
    }
  }
  if (got != count) Short(got, count);
}

void PageValueDecoder::DecodeIndices(int64_t count) {
  indices_.resize(static_cast<size_t>(count));
  int64_t got = rle_.GetIndices(indices_.data(), count, static_cast<uint32_t>(dictionary_->size()));
  if (got != count) Short(got, count);
}

void PageValueDecoder::DecodeDictionaryIndices(int64_t count, int32_t* out) {
  SLUICE_CHECK(dictionary_encoded() && dictionary_ != nullptr);
  // Indices below the dictionary's size fit int32 (a page cannot hold 2^31 values).
  int64_t got = rle_.GetIndices(reinterpret_cast<uint32_t*>(out), count,
                                static_cast<uint32_t>(dictionary_->size()));
  if (got != count) Short(got, count);
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
