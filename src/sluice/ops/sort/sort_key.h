// SortKey: one column of a sort order (name, direction), and the `--by` text that lists them:
// "v3:desc,id1" or "id1:asc". Nulls always sort last, in both directions, as DuckDB's default
// (NULLS LAST) does; NaN sorts above +infinity (DuckDB's rule); -0.0 equals +0.0.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/table/schema.h"

namespace sluice {

struct SortKey {
  std::string column;
  bool descending = false;

  friend bool operator==(const SortKey& a, const SortKey& b) = default;
};

// Parses "col[:asc|:desc][,col...]" (spaces around names allowed). InvalidArgument quoting the
// text and the bad entry: an empty name, an unknown direction, no keys at all.
std::vector<SortKey> ParseSortKeys(std::string_view text);

// The column index of each key in `schema`; NotFound naming the unknown column (and listing the
// schema's columns); InvalidArgument naming a nested key column (nested columns are payload).
std::vector<int> ResolveSortKeys(const Schema& schema, const std::vector<SortKey>& keys);

// "v3 desc, id1 asc": for messages and reports.
std::string FormatSortKeys(const std::vector<SortKey>& keys);

}  // namespace sluice
