// Aggregates of group-by: the state of one aggregate call (e.g. sum(v1)) for every group of a
// hash table, held column-wise (one slot per group id). A partial state is built per thread from
// batches, partial states are merged by group-id mapping, and Finish produces one output value
// per group.
//
// Built-in functions (names as SQL spells them):
//   count(*), count(x), count_distinct(x), sum(x), min(x), max(x), mean(x) (alias avg),
//   var(x) (alias variance, var_samp), stddev(x) (alias stddev_samp), median(x), first(x),
//   last(x), corr(x, y).
// Nulls are skipped, as in SQL; a group with no valid input gives null (count gives 0). first and
// last are the values of the first and last row of the input in stream order (the row numbers
// the caller passes), whatever the thread that saw them. sum of integers is int64 (an overflow is
// InvalidData naming the column), of floats float64; mean, var, stddev, median and corr are
// float64; min, max, first and last keep the input type. A nested column (list, struct, map)
// takes first, last and count only; any other function of one is NotSupported naming it.
//
// A user aggregate implements Aggregator and is passed to the API with a factory (see
// hash_aggregation.h); nothing else in the engine needs to know it.
//
// Thread safety: an Aggregator is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/base/check.h"
#include "sluice/table/array.h"
#include "sluice/table/type.h"

namespace sluice {

// The stream positions of a batch's rows (first and last order by them): first + r for rows read
// in order, or one position per row for rows gathered from several places (read back from a
// spill). Converts from the first row's position, the common case.
class RowPositions {
 public:
  RowPositions(int64_t first) : first_(first) {}  // NOLINT: implicit by design
  explicit RowPositions(const int64_t* rows) : rows_(rows) {}
  int64_t operator[](int64_t r) const { return rows_ != nullptr ? rows_[r] : first_ + r; }

 private:
  int64_t first_ = 0;
  const int64_t* rows_ = nullptr;
};

class Aggregator {
 public:
  virtual ~Aggregator() = default;

  virtual DataType output_type() const = 0;
  // A new empty state of the same function and input types (a thread's partial state).
  virtual std::unique_ptr<Aggregator> NewEmpty() const = 0;
  // Room for group ids below `groups`; new groups start empty.
  virtual void Resize(int64_t groups) = 0;
  // Adds row r of `inputs` to group groups[r], which has stream position positions[r].
  virtual void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
                      RowPositions positions) = 0;
  // Adds other's group from[i] into this state's group to[i], for each i (Resize done by the
  // caller). other is only read, so partitions of one partial state merge concurrently.
  virtual void Merge(const Aggregator& other, std::span<const uint32_t> from,
                     std::span<const uint32_t> to) = 0;
  // One value per group, in group id order; the state is spent afterwards.
  virtual Array Finish() = 0;
  // The values of groups [begin, end), instead of Finish: called for consecutive ranges from 0
  // that cover every group (after Resize), so a large state hands its output on in bounded
  // batches. The state is spent after the last range. The default calls Finish once and slices
  // its result (the whole column is then held until the last range).
  virtual Array FinishSlice(int64_t begin, int64_t end) {
    if (begin == 0) finished_ = Finish();
    Array slice = finished_->Slice(begin, end - begin);
    if (end == finished_->length()) finished_.reset();
    return slice;
  }
  // Memory held, for the memory budget.
  virtual int64_t ByteSize() const = 0;
  // At most how much ByteSize, and the memory held on the way, can grow beyond what Resize
  // takes while Update(inputs, ...) runs: state that grows with values rather than groups
  // (median's lists, count_distinct's pairs, long strings) and scratch. The memory budget is
  // charged this before the rows are added. 0 (the default) for a state of fixed size per group.
  virtual int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const {
    (void)inputs;
    return 0;
  }
  // The same for Merge(other, from, ...).
  virtual int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t> from) const {
    (void)other;
    (void)from;
    return 0;
  }

 private:
  std::optional<Array> finished_;  // the default FinishSlice's column
};

// `other` as the aggregator type T that merges it. Merge and MergeGrowthBound take an aggregator
// made by the same NewEmpty; another type is a bug, which fails a check rather than reading the
// wrong object.
template <typename T>
const T& SameAggregator(const Aggregator& other) {
  const T* same = dynamic_cast<const T*>(&other);
  SLUICE_CHECK(same != nullptr);
  return *same;
}

// One aggregate of a query: function, input columns (empty for count(*)) and output name.
struct AggregateCall {
  std::string function;
  std::vector<std::string> columns;
  std::string name;  // default: function(columns...)
};

// Parses "sum(v1), mean(v3) as m, count(*)": InvalidArgument naming the expression that does
// not parse or the function that does not exist.
std::vector<AggregateCall> ParseAggregateCalls(const std::string& text);

// One built-in function of the registry (aggregate_functions.cc), the one place a name is
// matched: its arity, whether it also takes `*` (count(*): no column), whether its result depends
// on row order (so spilled rows carry their positions), and the factory of its state for checked
// inputs.
struct AggregateFunction {
  using Factory = std::unique_ptr<Aggregator> (*)(const AggregateCall& call,
                                                  std::span<const DataType> input_types);
  std::string_view name;
  size_t arity = 1;
  bool takes_star = false;
  bool order_sensitive = false;
  Factory make = nullptr;
};

// The built-in function of that name (aliases included), or null.
const AggregateFunction* FindAggregateFunction(std::string_view name);

// The built-in aggregator for a call over inputs of the given types: InvalidArgument naming the
// function for an unknown one or a wrong argument count, NotSupported naming the column for a
// type the function does not take.
std::unique_ptr<Aggregator> MakeAggregator(const AggregateCall& call,
                                           std::span<const DataType> input_types);

}  // namespace sluice
