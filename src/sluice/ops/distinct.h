// RunDistinct: the distinct rows of a table, or with `by` one row per distinct key, the first in
// stream order (deduplicate). A group-by with every column as a key, or with the `by` keys and
// first() of the other columns, so it has the group-by's budget, spill, coalescing, streamed
// output and report; the result has the input's schema (its columns in the input's order).
//
// Thread safety: each call is independent.
#pragma once

#include <string>
#include <vector>

#include "sluice/ops/group_by.h"

namespace sluice {

// Hands the output to `sink` (GroupBySink's contract); result.batches stays empty. NotFound
// naming an unknown column of `by`; InvalidArgument for a column named twice, and naming a nested
// column of `by` (or, without `by`, of the input): nested columns travel as first() payload.
GroupByResult RunDistinct(const TableScan& scan, const std::vector<std::string>& by,
                          const GroupByOptions& options, const GroupBySink& sink);
// Collects the output in result.batches.
GroupByResult RunDistinct(const TableScan& scan, const std::vector<std::string>& by,
                          const GroupByOptions& options);

}  // namespace sluice
