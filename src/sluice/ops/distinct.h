// RunDistinct: the distinct rows of a table, or with `by` one row per distinct key, the first in
// stream order (deduplicate). A group-by with every column as a key, or with the `by` keys and
// first() of the other columns, so it has the group-by's budget, spill, coalescing and report;
// the result keeps the input's columns in the input's order.
//
// Thread safety: each call is independent.
#pragma once

#include <string>
#include <vector>

#include "sluice/ops/group_by.h"

namespace sluice {

// NotFound naming an unknown column of `by`; InvalidArgument for a column named twice.
GroupByResult RunDistinct(const TableScan& scan, const std::vector<std::string>& by,
                          const GroupByOptions& options);

}  // namespace sluice
