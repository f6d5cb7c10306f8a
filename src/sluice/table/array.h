// Array: an immutable column of values of one DataType, a view (offset, length) over shared
// Buffers in Arrow's layout (see type.h). Copying an Array copies buffer references, never
// bytes; Slice is zero-copy. buffer(0) is the validity bitmap and is null when no value is null;
// buffer(1) holds the values (bits for bool) or the int32 offsets; buffer(2) holds string or
// binary data. Offsets and bit positions are absolute: element i of the view is element
// offset() + i of the buffers.
//
// A nested array (type.h) holds child arrays beside its buffers, as Arrow does: a list, large
// list or map has buffer(1) of int32 (int64) offsets into child(0), a fixed-size list and a
// struct have only the validity bitmap. Offsets index the child view's rows; a struct's (and a
// fixed-size list's) offset() applies to its children, so slicing never touches a child. Values
// under a null list may span child rows or none.
//
// A dictionary-encoded array (MakeDictionary) keeps type() as its values' type but holds int32
// indices into dictionary() in buffer(1), with its own validity: only code that asks for one
// (is_dictionary) ever gets one; DecodeDictionary (table/dictionary.h) turns it into values.
//
// Thread safety: immutable; any number of threads may read an Array and share its buffers.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "sluice/table/bitmap.h"
#include "sluice/table/buffer.h"
#include "sluice/table/decimal128.h"
#include "sluice/table/type.h"

namespace sluice {

inline constexpr int64_t kUnknownNullCount = -1;

class Array {
 public:
  // Checks that the buffers cover the view (InvalidArgument otherwise). A null_count of
  // kUnknownNullCount is counted from the validity bitmap.
  static Array Make(DataType type, int64_t length,
                    std::vector<std::shared_ptr<const Buffer>> buffers,
                    int64_t null_count = kUnknownNullCount, int64_t offset = 0);
  // A nested array: buffers as above, one child per field of `type` with that field's type.
  // Checks that offsets stay inside the children and that children cover the view.
  static Array MakeNested(DataType type, int64_t length,
                          std::vector<std::shared_ptr<const Buffer>> buffers,
                          std::vector<Array> children, int64_t null_count = kUnknownNullCount,
                          int64_t offset = 0);

  // A dictionary-encoded view: the values of `indices` (an int32 array; nulls stay nulls) looked
  // up in `dictionary` (without nulls). InvalidArgument for other index types.
  static Array MakeDictionary(const Array& indices, std::shared_ptr<const Array> dictionary);

  const DataType& type() const { return type_; }
  bool is_dictionary() const { return dictionary_ != nullptr; }
  // The dictionary of a dictionary-encoded array, else null.
  const std::shared_ptr<const Array>& dictionary() const { return dictionary_; }
  // A dictionary-encoded array's indices (absolute positions, like raw_values()).
  const int32_t* raw_indices() const { return reinterpret_cast<const int32_t*>(values_); }
  int64_t length() const { return length_; }
  int64_t offset() const { return offset_; }
  int64_t null_count() const { return null_count_; }
  int num_buffers() const { return static_cast<int>(buffers_.size()); }
  const std::shared_ptr<const Buffer>& buffer(int i) const {
    return buffers_[static_cast<size_t>(i)];
  }
  const std::vector<std::shared_ptr<const Buffer>>& buffers() const { return buffers_; }

  // The validity bitmap (absolute bit positions) or null when every value is valid.
  const uint8_t* validity() const { return validity_; }
  bool IsValid(int64_t i) const { return validity_ == nullptr || GetBit(validity_, offset_ + i); }
  bool IsNull(int64_t i) const { return !IsValid(i); }

  // Typed access; T must match the type's byte width (int32_t for date32, int64_t for timestamp,
  // Decimal128 for decimal128). Values under nulls are unspecified.
  template <typename T>
  T Value(int64_t i) const {
    T value;
    std::memcpy(&value, values_ + (offset_ + i) * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return value;
  }
  bool BoolValue(int64_t i) const { return GetBit(values_, offset_ + i); }
  // string, binary and fixed_size_binary.
  std::string_view BinaryValue(int64_t i) const {
    if (type_.layout() == Layout::kVariableBinary) {
      const int32_t* offsets = reinterpret_cast<const int32_t*>(values_) + offset_ + i;
      return std::string_view(reinterpret_cast<const char*>(data_) + offsets[0],
                              static_cast<size_t>(offsets[1] - offsets[0]));
    }
    int64_t width = type_.byte_width();
    return std::string_view(reinterpret_cast<const char*>(values_) + (offset_ + i) * width,
                            static_cast<size_t>(width));
  }

  // Children of a nested array (see above); none for the others.
  int num_children() const { return static_cast<int>(children_.size()); }
  const Array& child(int i) const { return children_[static_cast<size_t>(i)]; }
  const std::vector<Array>& children() const { return children_; }
  // Where list-like value i lies in child(0): rows [ValueBegin(i), ValueEnd(i)).
  int64_t ValueBegin(int64_t i) const { return ListBound(offset_ + i); }
  int64_t ValueEnd(int64_t i) const { return ListBound(offset_ + i + 1); }
  int64_t ValueLength(int64_t i) const { return ValueEnd(i) - ValueBegin(i); }

  // Raw buffers, not adjusted by offset(): values or bits (buffer 1), and string data (buffer 2).
  const uint8_t* raw_values() const { return values_; }
  const int32_t* raw_offsets() const { return reinterpret_cast<const int32_t*>(values_); }
  const uint8_t* raw_data() const { return data_; }

  // Rows [offset, offset + length) of this view, sharing its buffers. InvalidArgument when out of
  // range.
  Array Slice(int64_t offset, int64_t length) const;

 private:
  Array(DataType type, int64_t length, int64_t offset, int64_t null_count,
        std::vector<std::shared_ptr<const Buffer>> buffers);
  // Offset k (absolute) of a list-like array.
  int64_t ListBound(int64_t k) const {
    switch (type_.id()) {
      case TypeId::kLargeList:
        return reinterpret_cast<const int64_t*>(values_)[k];
      case TypeId::kFixedSizeList:
        return k * type_.list_size();
      default:
        return reinterpret_cast<const int32_t*>(values_)[k];
    }
  }

  DataType type_;
  int64_t length_;
  int64_t offset_;
  int64_t null_count_;
  std::vector<std::shared_ptr<const Buffer>> buffers_;
  std::shared_ptr<const Array> dictionary_;
  std::vector<Array> children_;
  // Cached from buffers_ for the inline accessors.
  const uint8_t* validity_ = nullptr;
  const uint8_t* values_ = nullptr;
  const uint8_t* data_ = nullptr;
};

// Bytes held in memory by the array's distinct buffers, counted whole (capacity), even when the
// array is a slice of them: a slice keeps all of its buffers alive, so that is what it costs. A
// dictionary-encoded array counts its dictionary too (shared by the batches of a column chunk,
// so counted once per batch: an overestimate); a nested array counts its children.
int64_t ByteSize(const Array& array);

}  // namespace sluice
