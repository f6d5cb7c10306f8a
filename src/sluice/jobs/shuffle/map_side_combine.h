// Map-side combining for a group-by run across hosts: when every aggregate can be computed in two
// steps (count, sum, min, max, mean), a map task aggregates its own rows first and ships one row
// per group instead of every input row; the reduce task merges those partial rows (counts and
// sums add, minima and maxima combine) and computes the means from their merged sums and counts.
// For a query whose groups repeat within a map task's inputs this divides what crosses hosts by
// the repetition; other aggregates (median, first, var, ...) ship the rows as they are. When a
// task's groups barely repeat, aggregating first reduces nothing and costs a hash table as large
// as the input: the task then ships each row as a partial row of its own (PartialRowsOf), which
// the reduce merges as it merges any partial rows.
//
// Thread safety: a CombinePlan is immutable once planned; FinishCombined is a pure function.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/ops/aggregate.h"
#include "sluice/table/record_batch.h"

namespace sluice::shuffle {

struct CombinePlan {
  std::vector<AggregateCall> partial;  // a map task's aggregates, per group of its rows
  std::vector<AggregateCall> merge;    // a reduce task's, over the partial rows
  // Per aggregate of the query: the merged column it is, or (mean) the merged sum and count it
  // divides.
  struct Output {
    std::string name;
    int column = 0;    // among the merged aggregates
    int divisor = -1;  // >= 0: column / divisor, as a double (null when the count is 0)
  };
  std::vector<Output> outputs;
};

// The plan, or nullopt when some aggregate does not combine.
std::optional<CombinePlan> PlanCombine(const std::vector<AggregateCall>& aggregates);

// The rows of `batch` (holding the query's keys and arguments) as partial rows of one input row
// each, of `partial_schema` (the partial group-by's output: the keys, then plan.partial's
// columns): counts of 1 or 0, sums widened to their sum's type, minima and maxima as they are.
RecordBatch PartialRowsOf(const CombinePlan& plan, const std::vector<std::string>& keys,
                          const RecordBatch& batch,
                          const std::shared_ptr<const Schema>& partial_schema);

// The query's output schema from the merged one (`keys` key columns, then plan.merge's columns).
Schema CombinedSchema(const CombinePlan& plan, size_t keys, const Schema& merged);
// The query's output batch from a merged one (`keys` key columns, then plan.merge's columns).
RecordBatch FinishCombined(const CombinePlan& plan, size_t keys, const RecordBatch& merged);

}  // namespace sluice::shuffle
