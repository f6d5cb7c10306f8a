// Builders of nested arrays (type.h): each owns one builder per child, reached through child()
// or values(), where the caller appends the child values itself.
//   ListBuilder (list, large_list, map): Append() opens the next list; the values appended to
//     values() until the next Append() or Finish() are its elements.
//   FixedSizeListBuilder: Append() then exactly list_size() values into values().
//   StructBuilder: Append() then one value into each child(i).
// A null (AppendNull) is an empty list, list_size() child nulls, or one null per struct child, so
// children stay aligned. Finish checks that the children hold as many values as their parents
// need (InternalError naming the column otherwise) and resets every builder.
//
// Thread safety: a builder is used by one thread at a time; the Arrays it returns are immutable.
#pragma once

#include <memory>
#include <vector>

#include "sluice/table/builder.h"

namespace sluice {

class ListBuilder final : public ArrayBuilder {
 public:
  // type is list, large_list or map.
  explicit ListBuilder(DataType type, Allocator* allocator = Allocator::Default());

  void Append();
  ArrayBuilder& values() { return *values_; }
  void Reserve(int64_t n) override;
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override;
  void AppendOffset();

  bool large_;
  BufferBuilder offsets_;
  std::unique_ptr<ArrayBuilder> values_;
};

class FixedSizeListBuilder final : public ArrayBuilder {
 public:
  explicit FixedSizeListBuilder(DataType type, Allocator* allocator = Allocator::Default());

  void Append() { AppendValid(); }
  ArrayBuilder& values() { return *values_; }
  void Reserve(int64_t n) override;
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override { values_->AppendNulls(n * type_.list_size()); }

  std::unique_ptr<ArrayBuilder> values_;
};

class StructBuilder final : public ArrayBuilder {
 public:
  explicit StructBuilder(DataType type, Allocator* allocator = Allocator::Default());

  void Append() { AppendValid(); }
  int num_children() const { return static_cast<int>(children_.size()); }
  ArrayBuilder& child(int i) { return *children_[static_cast<size_t>(i)]; }
  void Reserve(int64_t n) override;
  Array Finish() override;

 private:
  void AppendEmptyValues(int64_t n) override;

  std::vector<std::unique_ptr<ArrayBuilder>> children_;
};

}  // namespace sluice
