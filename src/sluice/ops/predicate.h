// Predicate: a row filter (predicate_expr.h) bound to a schema, evaluated a column at a time over
// record batches. Binding resolves each column (InvalidArgument naming a missing column, or a
// literal that cannot be compared with the column's type, with its position) and converts each
// literal once into the column's comparison domain, so evaluation is a tight loop per leaf with no
// per-value allocation.
//
// Semantics are SQL's (and DuckDB's): a comparison with a null is not true, NOT of not-true-
// because-null stays not true (NOT is pushed down to the leaves at bind time, exactly, by De
// Morgan and operator inversion), NaN equals NaN and sorts above every other float, -0.0 equals
// 0.0, strings compare bytewise (UTF-8 code point order). Integer columns compare exactly with
// float literals (`i < 2.5` is `i <= 2`). Dates and timestamps take 'YYYY-MM-DD[ HH:MM:SS[.f]]'
// strings; decimals take numbers.
//
// MayMatch answers from a chunk's statistics (min, max, null count, and a Bloom filter for
// equality) whether any row of the chunk could pass; false is a proof, so the chunk can be
// skipped unread. MayMatchPages does the same from the chunks' page indexes, row by row.
//
// Thread safety: immutable after Bind; Evaluate, Filter and MayMatch may run on any number of
// threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sluice/io/parquet/row_selection.h"
#include "sluice/ops/predicate_expr.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/schema.h"

namespace sluice {

namespace predicate_internal {
struct Node;
}

// A chunk's statistics for one column, in the column's comparison domain: int64_t for signed
// integers, dates, timestamps and bools (0/1), uint64_t for unsigned integers, double for floats,
// std::string for strings and binary. Absent min/max (monostate) proves nothing.
struct ColumnStatistics {
  using Value = std::variant<std::monostate, int64_t, uint64_t, double, std::string>;
  int64_t rows = 0;
  std::optional<int64_t> null_count;
  std::optional<int64_t> nan_count;
  Value min;
  Value max;
  // A Bloom filter's answer for one value of the domain (false: certainly absent), or empty.
  // Asked only for equality and IN, after min and max failed to rule the chunk out.
  std::function<bool(const Value&)> might_contain;
};

// The page index of one column chunk in the same terms: page i holds rows [first_rows[i],
// first_rows[i + 1]) of the chunk (the last page runs to its end).
struct ColumnPageStatistics {
  std::vector<int64_t> first_rows;
  std::vector<ColumnStatistics> pages;
};

class Predicate {
 public:
  // InvalidArgument naming the column (and its position in the expression) when it is missing
  // from `schema` or its type cannot be compared with a literal or used by an operator.
  static std::shared_ptr<const Predicate> Bind(const PredicateExpr& expr, const Schema& schema);
  ~Predicate();

  // The schema columns the predicate reads, each once, ascending.
  const std::vector<int>& columns() const { return columns_; }

  // selected[r] = 1 where row r passes, else 0; `selected` is resized to the batch's rows. The
  // batch must have the bound schema's columns at the bound positions.
  void Evaluate(const RecordBatch& batch, std::vector<uint8_t>& selected) const;
  // The passing rows (the batch itself when all pass), in order.
  RecordBatch Filter(const RecordBatch& batch) const;

  // False only when no row of a chunk with these statistics can pass. `statistics(column)` gives
  // the statistics of a schema column (nullopt when unknown).
  bool MayMatch(const std::function<std::optional<ColumnStatistics>(int column)>& statistics) const;
  // False only when no row of a chunk of `rows` rows can pass by its page index: each leaf
  // passes only in the rows of pages that may hold a passing value, AND intersects those rows
  // and OR unites them, so columns that each may match somewhere can still prove that they
  // never match in the same row. Columns without a page index (nullopt) span every row.
  bool MayMatchPages(const std::function<std::optional<ColumnPageStatistics>(int column)>& pages,
                     int64_t rows) const;
  // The same as row ranges: the rows that may pass, sorted and disjoint (empty when none may),
  // so a reader can skip the pages that hold none of them.
  parquet::RowRanges RowsMayMatch(
      const std::function<std::optional<ColumnPageStatistics>(int column)>& pages,
      int64_t rows) const;

 private:
  Predicate() = default;

  std::unique_ptr<predicate_internal::Node> root_;
  std::vector<int> columns_;
};

}  // namespace sluice
