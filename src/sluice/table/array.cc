#include "sluice/table/array.h"

#include <algorithm>

#include "sluice/base/error.h"

namespace sluice {
namespace {

int64_t BufferSize(const std::shared_ptr<const Buffer>& buffer) {
  return buffer == nullptr ? 0 : buffer->size();
}

void Require(bool ok, const DataType& type, std::string_view what) {
  if (!ok) {
    throw InvalidArgument("{} array: {}", type.ToString(), what);
  }
}

}  // namespace

Array::Array(DataType type, int64_t length, int64_t offset, int64_t null_count,
             std::vector<std::shared_ptr<const Buffer>> buffers)
    : type_(std::move(type)),
      length_(length),
      offset_(offset),
      null_count_(null_count),
      buffers_(std::move(buffers)) {
  if (buffers_[0] != nullptr) validity_ = buffers_[0]->data();
  values_ = buffers_[1]->data();
  if (buffers_.size() > 2) data_ = buffers_[2]->data();
}

Array Array::Make(DataType type, int64_t length, std::vector<std::shared_ptr<const Buffer>> buffers,
                  int64_t null_count, int64_t offset) {
  Require(length >= 0 && offset >= 0, type, "negative length or offset");
  bool variable = type.layout() == Layout::kVariableBinary;
  Require(buffers.size() == (variable ? 3u : 2u), type, "wrong number of buffers");
  Require(buffers[1] != nullptr && (!variable || buffers[2] != nullptr), type,
          "missing values buffer");
  int64_t end = offset + length;
  Require(BufferSize(buffers[0]) >= (buffers[0] ? BitmapBytes(end) : 0), type,
          "validity bitmap shorter than the array");
  switch (type.layout()) {
    case Layout::kBitmap:
      Require(buffers[1]->size() >= BitmapBytes(end), type, "values bitmap shorter than the array");
      break;
    case Layout::kFixedWidth:
      Require(buffers[1]->size() >= end * type.byte_width(), type,
              "values buffer shorter than the array");
      break;
    case Layout::kVariableBinary: {
      Require(buffers[1]->size() >= (end + 1) * 4, type, "offsets buffer shorter than the array");
      const int32_t* offsets = buffers[1]->data_as<int32_t>();
      Require(offsets[offset] >= 0 && offsets[offset] <= offsets[end] &&
                  offsets[end] <= buffers[2]->size(),
              type, "offsets point outside the data buffer");
      break;
    }
  }
  if (buffers[0] == nullptr) {
    null_count = 0;
  } else if (null_count == kUnknownNullCount) {
    null_count = length - CountSetBits(buffers[0]->data(), offset, length);
  }
  Require(null_count >= 0 && null_count <= length, type, "null count out of range");
  return Array(std::move(type), length, offset, null_count, std::move(buffers));
}

Array Array::MakeDictionary(const Array& indices, std::shared_ptr<const Array> dictionary) {
  if (indices.type() != DataType::Int32() || indices.is_dictionary() || dictionary == nullptr ||
      dictionary->null_count() > 0) {
    throw InvalidArgument("a dictionary array needs int32 indices and a dictionary without nulls")
        .With("indices", indices.type().ToString());
  }
  Array out(dictionary->type(), indices.length(), indices.offset(), indices.null_count(),
            indices.buffers());
  out.dictionary_ = std::move(dictionary);
  return out;
}

Array Array::Slice(int64_t offset, int64_t length) const {
  if (offset < 0 || length < 0 || offset + length > length_) {
    throw InvalidArgument("slice [{}, {}) is outside an array of {} rows", offset, offset + length,
                          length_);
  }
  int64_t null_count = 0;
  if (validity_ != nullptr) {
    null_count = null_count_ == 0 ? 0 : length - CountSetBits(validity_, offset_ + offset, length);
  }
  Array out(type_, length, offset_ + offset, null_count, buffers_);
  out.dictionary_ = dictionary_;
  return out;
}

int64_t ByteSize(const Array& array) {
  int64_t total = 0;
  const auto& buffers = array.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i] == nullptr) continue;
    bool seen = std::any_of(buffers.begin(), buffers.begin() + static_cast<ptrdiff_t>(i),
                            [&](const auto& b) { return b == buffers[i]; });
    if (!seen) total += buffers[i]->capacity();
  }
  if (array.is_dictionary()) total += ByteSize(*array.dictionary());
  return total;
}

}  // namespace sluice
