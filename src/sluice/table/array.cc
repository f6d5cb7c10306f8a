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

int64_t CheckedNullCount(const DataType& type, const std::shared_ptr<const Buffer>& validity,
                         int64_t length, int64_t offset, int64_t null_count) {
  if (validity == nullptr) {
    null_count = 0;
  } else if (null_count == kUnknownNullCount) {
    null_count = length - CountSetBits(validity->data(), offset, length);
  }
  Require(null_count >= 0 && null_count <= length, type, "null count out of range");
  return null_count;
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
  if (buffers_.size() > 1) values_ = buffers_[1]->data();
  if (buffers_.size() > 2) data_ = buffers_[2]->data();
}

Array Array::Make(DataType type, int64_t length, std::vector<std::shared_ptr<const Buffer>> buffers,
                  int64_t null_count, int64_t offset) {
  Require(length >= 0 && offset >= 0, type, "negative length or offset");
  Require(!type.is_nested(), type, "nested arrays are made by MakeNested");
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
    case Layout::kNested:
      break;
  }
  null_count = CheckedNullCount(type, buffers[0], length, offset, null_count);
  return Array(std::move(type), length, offset, null_count, std::move(buffers));
}

Array Array::MakeNested(DataType type, int64_t length,
                        std::vector<std::shared_ptr<const Buffer>> buffers,
                        std::vector<Array> children, int64_t null_count, int64_t offset) {
  Require(type.is_nested(), type, "MakeNested needs a nested type");
  Require(length >= 0 && offset >= 0, type, "negative length or offset");
  Require(static_cast<int>(children.size()) == type.num_fields(), type, "wrong number of children");
  for (size_t i = 0; i < children.size(); ++i) {
    Require(children[i].type() == type.fields()[i].type && !children[i].is_dictionary(), type,
            "child of the wrong type");
  }
  bool offsets =
      type.id() == TypeId::kList || type.id() == TypeId::kMap || type.id() == TypeId::kLargeList;
  Require(buffers.size() == (offsets ? 2u : 1u), type, "wrong number of buffers");
  int64_t end = offset + length;
  Require(BufferSize(buffers[0]) >= (buffers[0] ? BitmapBytes(end) : 0), type,
          "validity bitmap shorter than the array");
  Array out(std::move(type), length, offset, 0, std::move(buffers));
  out.children_ = std::move(children);
  const DataType& t = out.type_;
  if (offsets) {
    int64_t width = t.id() == TypeId::kLargeList ? 8 : 4;
    Require(out.buffers_[1] != nullptr && out.buffers_[1]->size() >= (end + 1) * width, t,
            "offsets buffer shorter than the array");
    Require(out.ListBound(offset) >= 0 && out.ListBound(offset) <= out.ListBound(end) &&
                out.ListBound(end) <= out.children_[0].length(),
            t, "offsets point outside the child array");
  } else if (t.id() == TypeId::kFixedSizeList) {
    Require(out.children_[0].length() >= end * t.list_size(), t,
            "child array shorter than the lists");
  } else {
    for (const Array& child : out.children_) {
      Require(child.length() >= end, t, "child array shorter than the struct");
    }
  }
  out.null_count_ = CheckedNullCount(t, out.buffers_[0], length, offset, null_count);
  return out;
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
  out.children_ = children_;
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
  for (const Array& child : array.children()) total += ByteSize(child);
  return total;
}

}  // namespace sluice
