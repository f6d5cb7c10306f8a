// Array builders: append values one by one (or in bulk) and Finish into an immutable Array.
// Buffers grow by doubling (amortised O(1) appends) and come from the builder's Allocator. The
// validity bitmap is only materialised at the first null, so a column without nulls has none.
// Finish resets the builder, which may then build the next array.
//
// FixedWidthBuilder<T> covers every fixed-width type: T is the C type of one value (int32_t for
// date32, int64_t for timestamp, Decimal128 for decimal128). BinaryBuilder covers string and
// binary; its data may not exceed 2^31 - 1 bytes (int32 offsets), an InvalidArgument naming the
// column (set_name) otherwise.
//
// Thread safety: a builder is used by one thread at a time; the Arrays it returns are immutable.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sluice/table/array.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/type.h"

namespace sluice {

class ArrayBuilder {
 public:
  virtual ~ArrayBuilder() = default;
  ArrayBuilder(const ArrayBuilder&) = delete;
  ArrayBuilder& operator=(const ArrayBuilder&) = delete;

  const DataType& type() const { return type_; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }
  // The column name that errors carry as context.
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& name() const { return name_; }

  void AppendNull() { AppendNulls(1); }
  void AppendNulls(int64_t n);
  // Room for n more values (and, for binary, see BinaryBuilder::ReserveData).
  virtual void Reserve(int64_t n) = 0;
  virtual Array Finish() = 0;

 protected:
  ArrayBuilder(DataType type, Allocator* allocator);

  void AppendValid() {
    if (has_validity_) validity_.Append(true);
    ++length_;
  }
  void ReserveValidity(int64_t n) {
    if (has_validity_) validity_.Reserve(n);
  }
  // Placeholder values under n nulls.
  virtual void AppendEmptyValues(int64_t n) = 0;
  // The validity buffer (null when no nulls) and null count; resets length and nulls.
  std::shared_ptr<const Buffer> FinishValidity(int64_t* null_count);

  DataType type_;
  Allocator* allocator_;
  std::string name_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;

 private:
  bool has_validity_ = false;
  BitmapBuilder validity_;
};

template <typename T>
class FixedWidthBuilder final : public ArrayBuilder {
 public:
  // The natural type of T (int32_t -> int32, double -> float64, ...).
  explicit FixedWidthBuilder(Allocator* allocator = Allocator::Default()) requires(
      !std::same_as<T, Decimal128>);
  // Any type whose values are T; SLUICE_CHECKs that they are.
  explicit FixedWidthBuilder(DataType type, Allocator* allocator = Allocator::Default());

  void Append(T value) {
    values_.AppendValue(value);
    AppendValid();
  }
  void AppendValues(std::span<const T> values);
  void Reserve(int64_t n) override;
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override {
    values_.AppendZeros(n * static_cast<int64_t>(sizeof(T)));
  }

  BufferBuilder values_;
};

extern template class FixedWidthBuilder<int8_t>;
extern template class FixedWidthBuilder<int16_t>;
extern template class FixedWidthBuilder<int32_t>;
extern template class FixedWidthBuilder<int64_t>;
extern template class FixedWidthBuilder<uint8_t>;
extern template class FixedWidthBuilder<uint16_t>;
extern template class FixedWidthBuilder<uint32_t>;
extern template class FixedWidthBuilder<uint64_t>;
extern template class FixedWidthBuilder<float>;
extern template class FixedWidthBuilder<double>;
extern template class FixedWidthBuilder<Decimal128>;

using Int8Builder = FixedWidthBuilder<int8_t>;
using Int16Builder = FixedWidthBuilder<int16_t>;
using Int32Builder = FixedWidthBuilder<int32_t>;
using Int64Builder = FixedWidthBuilder<int64_t>;
using UInt8Builder = FixedWidthBuilder<uint8_t>;
using UInt16Builder = FixedWidthBuilder<uint16_t>;
using UInt32Builder = FixedWidthBuilder<uint32_t>;
using UInt64Builder = FixedWidthBuilder<uint64_t>;
using Float32Builder = FixedWidthBuilder<float>;
using Float64Builder = FixedWidthBuilder<double>;
using Decimal128Builder = FixedWidthBuilder<Decimal128>;

class BoolBuilder final : public ArrayBuilder {
 public:
  explicit BoolBuilder(Allocator* allocator = Allocator::Default());

  void Append(bool value) {
    values_.Append(value);
    AppendValid();
  }
  void Reserve(int64_t n) override;
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override { values_.AppendN(false, n); }

  BitmapBuilder values_;
};

class BinaryBuilder final : public ArrayBuilder {
 public:
  // type is string or binary.
  explicit BinaryBuilder(DataType type = DataType::String(),
                         Allocator* allocator = Allocator::Default());

  void Append(std::string_view value) {
    int64_t end = data_.size() + static_cast<int64_t>(value.size());
    if (end > std::numeric_limits<int32_t>::max()) [[unlikely]] {
      ThrowOffsetOverflow(end);
    }
    data_.Append(value.data(), static_cast<int64_t>(value.size()));
    offsets_.AppendValue(static_cast<int32_t>(end));
    AppendValid();
  }
  void Reserve(int64_t n) override;
  void ReserveData(int64_t bytes) { data_.Reserve(bytes); }
  int64_t data_size() const { return data_.size(); }
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override;
  [[noreturn]] void ThrowOffsetOverflow(int64_t end) const;

  BufferBuilder offsets_;
  BufferBuilder data_;
};

using StringBuilder = BinaryBuilder;

class FixedSizeBinaryBuilder final : public ArrayBuilder {
 public:
  FixedSizeBinaryBuilder(DataType type, Allocator* allocator = Allocator::Default());

  // InvalidArgument (naming the column) unless value.size() is the type's width.
  void Append(std::string_view value);
  void Reserve(int64_t n) override;
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override { values_.AppendZeros(n * type_.byte_width()); }

  BufferBuilder values_;
};

// A builder for any type.
std::unique_ptr<ArrayBuilder> MakeBuilder(const DataType& type,
                                          Allocator* allocator = Allocator::Default());

}  // namespace sluice
