#include "sluice/table/builder.h"

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/table/nested_builder.h"

namespace sluice {
namespace {

template <typename T>
DataType NaturalType() {
  if constexpr (std::same_as<T, int8_t>) return DataType::Int8();
  if constexpr (std::same_as<T, int16_t>) return DataType::Int16();
  if constexpr (std::same_as<T, int32_t>) return DataType::Int32();
  if constexpr (std::same_as<T, int64_t>) return DataType::Int64();
  if constexpr (std::same_as<T, uint8_t>) return DataType::UInt8();
  if constexpr (std::same_as<T, uint16_t>) return DataType::UInt16();
  if constexpr (std::same_as<T, uint32_t>) return DataType::UInt32();
  if constexpr (std::same_as<T, uint64_t>) return DataType::UInt64();
  if constexpr (std::same_as<T, float>) return DataType::Float32();
  if constexpr (std::same_as<T, double>) return DataType::Float64();
  SLUICE_CHECK(false);
}

template <typename T>
bool HoldsValuesOf(const DataType& type) {
  switch (type.id()) {
    case TypeId::kDate32:
      return std::same_as<T, int32_t>;
    case TypeId::kTimestamp:
      return std::same_as<T, int64_t>;
    case TypeId::kDecimal128:
      return std::same_as<T, Decimal128>;
    case TypeId::kBool:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return false;
    default:
      if constexpr (std::same_as<T, Decimal128>) {
        return false;
      } else {
        return type == NaturalType<T>();
      }
  }
}

}  // namespace

ArrayBuilder::ArrayBuilder(DataType type, Allocator* allocator)
    : type_(std::move(type)), allocator_(allocator), validity_(allocator) {}

void ArrayBuilder::AppendNulls(int64_t n) {
  if (n <= 0) return;
  if (!has_validity_) {
    has_validity_ = true;
    validity_.AppendN(true, length_);
  }
  validity_.AppendN(false, n);
  AppendEmptyValues(n);
  length_ += n;
  null_count_ += n;
}

std::shared_ptr<const Buffer> ArrayBuilder::FinishValidity(int64_t* null_count) {
  std::shared_ptr<const Buffer> validity;
  if (has_validity_) validity = validity_.Finish();
  *null_count = null_count_;
  length_ = 0;
  null_count_ = 0;
  has_validity_ = false;
  return validity;
}

template <typename T>
FixedWidthBuilder<T>::FixedWidthBuilder(Allocator* allocator) requires(!std::same_as<T, Decimal128>)
    : FixedWidthBuilder(NaturalType<T>(), allocator) {}

template <typename T>
FixedWidthBuilder<T>::FixedWidthBuilder(DataType type, Allocator* allocator)
    : ArrayBuilder(std::move(type), allocator), values_(allocator) {
  SLUICE_CHECK(HoldsValuesOf<T>(type_));
}

template <typename T>
void FixedWidthBuilder<T>::AppendValues(std::span<const T> values) {
  Reserve(static_cast<int64_t>(values.size()));
  values_.Append(values.data(), static_cast<int64_t>(values.size_bytes()));
  for (size_t i = 0; i < values.size(); ++i) AppendValid();
}

template <typename T>
void FixedWidthBuilder<T>::Reserve(int64_t n) {
  values_.Reserve(n * static_cast<int64_t>(sizeof(T)));
  ReserveValidity(n);
}

template <typename T>
Array FixedWidthBuilder<T>::Finish() {
  int64_t length = length_;
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  return Array::Make(type_, length, {std::move(validity), values_.Finish()}, null_count);
}

template class FixedWidthBuilder<int8_t>;
template class FixedWidthBuilder<int16_t>;
template class FixedWidthBuilder<int32_t>;
template class FixedWidthBuilder<int64_t>;
template class FixedWidthBuilder<uint8_t>;
template class FixedWidthBuilder<uint16_t>;
template class FixedWidthBuilder<uint32_t>;
template class FixedWidthBuilder<uint64_t>;
template class FixedWidthBuilder<float>;
template class FixedWidthBuilder<double>;
template class FixedWidthBuilder<Decimal128>;

BoolBuilder::BoolBuilder(Allocator* allocator)
    : ArrayBuilder(DataType::Bool(), allocator), values_(allocator) {}

void BoolBuilder::Reserve(int64_t n) {
  values_.Reserve(n);
  ReserveValidity(n);
}

Array BoolBuilder::Finish() {
  int64_t length = length_;
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  return Array::Make(type_, length, {std::move(validity), values_.Finish()}, null_count);
}

BinaryBuilder::BinaryBuilder(DataType type, Allocator* allocator)
    : ArrayBuilder(std::move(type), allocator), offsets_(allocator), data_(allocator) {
  SLUICE_CHECK(type_.layout() == Layout::kVariableBinary);
  offsets_.AppendValue<int32_t>(0);
}

void BinaryBuilder::Reserve(int64_t n) {
  offsets_.Reserve(n * 4);
  ReserveValidity(n);
}

void BinaryBuilder::AppendEmptyValues(int64_t n) {
  int32_t end = static_cast<int32_t>(data_.size());
  offsets_.Reserve(n * 4);
  for (int64_t i = 0; i < n; ++i) offsets_.AppendValue(end);
}

void BinaryBuilder::ThrowOffsetOverflow(int64_t end) const {
  throw InvalidArgument("{} data of {} bytes overflows 32-bit offsets (limit {})", type_.ToString(),
                        end, std::numeric_limits<int32_t>::max())
      .With("column", name_);
}

Array BinaryBuilder::Finish() {
  int64_t length = length_;
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  std::shared_ptr<const Buffer> offsets = offsets_.Finish();
  offsets_.AppendValue<int32_t>(0);
  return Array::Make(type_, length, {std::move(validity), std::move(offsets), data_.Finish()},
                     null_count);
}

FixedSizeBinaryBuilder::FixedSizeBinaryBuilder(DataType type, Allocator* allocator)
    : ArrayBuilder(std::move(type), allocator), values_(allocator) {
  SLUICE_CHECK(type_.id() == TypeId::kFixedSizeBinary);
}

void FixedSizeBinaryBuilder::Append(std::string_view value) {
  if (static_cast<int64_t>(value.size()) != type_.byte_width()) {
    throw InvalidArgument("{} value has {} bytes", type_.ToString(), value.size())
        .With("column", name_);
  }
  values_.Append(value.data(), static_cast<int64_t>(value.size()));
  AppendValid();
}

void FixedSizeBinaryBuilder::Reserve(int64_t n) {
  values_.Reserve(n * type_.byte_width());
  ReserveValidity(n);
}

Array FixedSizeBinaryBuilder::Finish() {
  int64_t length = length_;
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  return Array::Make(type_, length, {std::move(validity), values_.Finish()}, null_count);
}

std::unique_ptr<ArrayBuilder> MakeBuilder(const DataType& type, Allocator* allocator) {
  switch (type.id()) {
    case TypeId::kBool:
      return std::make_unique<BoolBuilder>(allocator);
    case TypeId::kInt8:
      return std::make_unique<Int8Builder>(type, allocator);
    case TypeId::kInt16:
      return std::make_unique<Int16Builder>(type, allocator);
    case TypeId::kInt32:
    case TypeId::kDate32:
      return std::make_unique<Int32Builder>(type, allocator);
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return std::make_unique<Int64Builder>(type, allocator);
    case TypeId::kUInt8:
      return std::make_unique<UInt8Builder>(type, allocator);
    case TypeId::kUInt16:
      return std::make_unique<UInt16Builder>(type, allocator);
    case TypeId::kUInt32:
      return std::make_unique<UInt32Builder>(type, allocator);
    case TypeId::kUInt64:
      return std::make_unique<UInt64Builder>(type, allocator);
    case TypeId::kFloat32:
      return std::make_unique<Float32Builder>(type, allocator);
    case TypeId::kFloat64:
      return std::make_unique<Float64Builder>(type, allocator);
    case TypeId::kDecimal128:
      return std::make_unique<Decimal128Builder>(type, allocator);
    case TypeId::kString:
    case TypeId::kBinary:
      return std::make_unique<BinaryBuilder>(type, allocator);
    case TypeId::kFixedSizeBinary:
      return std::make_unique<FixedSizeBinaryBuilder>(type, allocator);
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kMap:
      return std::make_unique<ListBuilder>(type, allocator);
    case TypeId::kFixedSizeList:
      return std::make_unique<FixedSizeListBuilder>(type, allocator);
    case TypeId::kStruct:
      return std::make_unique<StructBuilder>(type, allocator);
  }
  SLUICE_CHECK(false);
  return nullptr;
}

}  // namespace sluice
