#include "sluice/table/nested_builder.h"

#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {
namespace {

void CheckChildLength(const ArrayBuilder& parent, const Array& child, int64_t expected) {
  if (child.length() != expected) {
    throw InternalError("{} builder has {} child values, its rows need {}",
                        parent.type().ToString(), child.length(), expected)
        .With("column", parent.name());
  }
}

std::unique_ptr<ArrayBuilder> ChildBuilder(const ArrayBuilder& parent, const Field& field,
                                           Allocator* allocator) {
  std::unique_ptr<ArrayBuilder> child = MakeBuilder(field.type, allocator);
  child->set_name(parent.name().empty() ? field.name : parent.name() + "." + field.name);
  return child;
}

}  // namespace

ListBuilder::ListBuilder(DataType type, Allocator* allocator)
    : ArrayBuilder(std::move(type), allocator),
      large_(type_.id() == TypeId::kLargeList),
      offsets_(allocator) {
  SLUICE_CHECK(type_.is_list_like() && type_.id() != TypeId::kFixedSizeList);
  values_ = ChildBuilder(*this, type_.field(0), allocator);
  AppendOffset();
}

void ListBuilder::AppendOffset() {
  int64_t end = values_->length();
  if (large_) {
    offsets_.AppendValue(end);
    return;
  }
  if (end > std::numeric_limits<int32_t>::max()) {
    throw InvalidArgument("{} of {} elements overflows 32-bit offsets", type_.ToString(), end)
        .With("column", name());
  }
  offsets_.AppendValue(static_cast<int32_t>(end));
}

void ListBuilder::Append() {
  // Offsets are written as each list closes: the previous one ends where this one starts.
  if (length_ > 0) AppendOffset();
  AppendValid();
}

void ListBuilder::AppendEmptyValues(int64_t n) {
  if (length_ > 0) AppendOffset();
  for (int64_t i = 1; i < n; ++i) AppendOffset();
}

void ListBuilder::Reserve(int64_t n) {
  offsets_.Reserve(n * (large_ ? 8 : 4));
  ReserveValidity(n);
}

Array ListBuilder::Finish() {
  int64_t length = length_;
  if (length > 0) AppendOffset();
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  std::shared_ptr<const Buffer> offsets = offsets_.Finish();
  Array values = values_->Finish();
  AppendOffset();
  return Array::MakeNested(type_, length, {std::move(validity), std::move(offsets)},
                           {std::move(values)}, null_count);
}

FixedSizeListBuilder::FixedSizeListBuilder(DataType type, Allocator* allocator)
    : ArrayBuilder(std::move(type), allocator) {
  SLUICE_CHECK(type_.id() == TypeId::kFixedSizeList);
  values_ = ChildBuilder(*this, type_.field(0), allocator);
}

void FixedSizeListBuilder::Reserve(int64_t n) {
  values_->Reserve(n * type_.list_size());
  ReserveValidity(n);
}

Array FixedSizeListBuilder::Finish() {
  int64_t length = length_;
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  Array values = values_->Finish();
  CheckChildLength(*this, values, length * type_.list_size());
  return Array::MakeNested(type_, length, {std::move(validity)}, {std::move(values)}, null_count);
}

StructBuilder::StructBuilder(DataType type, Allocator* allocator)
    : ArrayBuilder(std::move(type), allocator) {
  SLUICE_CHECK(type_.id() == TypeId::kStruct);
  for (const Field& field : type_.fields()) {
    children_.push_back(ChildBuilder(*this, field, allocator));
  }
}

void StructBuilder::AppendEmptyValues(int64_t n) {
  for (auto& child : children_) child->AppendNulls(n);
}

void StructBuilder::Reserve(int64_t n) {
  for (auto& child : children_) child->Reserve(n);
  ReserveValidity(n);
}

Array StructBuilder::Finish() {
  int64_t length = length_;
  int64_t null_count = 0;
  std::shared_ptr<const Buffer> validity = FinishValidity(&null_count);
  std::vector<Array> children;
  for (auto& child : children_) {
    children.push_back(child->Finish());
    CheckChildLength(*this, children.back(), length);
  }
  return Array::MakeNested(type_, length, {std::move(validity)}, std::move(children), null_count);
}

}  // namespace sluice
