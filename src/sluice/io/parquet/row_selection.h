// Row selection inside a row group: the rows a reader is asked for, as sorted ranges of the
// row group's row numbers, and which pages of a column chunk (by its offset index) hold any of
// them. A scan whose filter the page index partly rules out reads only those pages of each
// column, and every column yields exactly the selected rows although their pages end at
// different rows.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sluice/io/parquet/page_index.h"

namespace sluice::parquet {

// Rows [begin, end) of a row group.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
  bool operator==(const RowRange&) const = default;
};

// Sorted, disjoint, non-empty and not touching (NormalizeRowRanges makes them so).
using RowRanges = std::vector<RowRange>;

// `ranges` clipped to [0, rows), sorted, and with overlapping or adjacent ranges merged.
RowRanges NormalizeRowRanges(RowRanges ranges, int64_t rows);

// The union of two lists of ranges, sorted by begin with overlapping or adjacent ranges merged
// (not clipped; empty ranges kept unless merged).
RowRanges UniteRowRanges(RowRanges a, const RowRanges& b);
// The rows in both of two sorted, disjoint lists.
RowRanges IntersectRowRanges(const RowRanges& a, const RowRanges& b);

// The number of rows the ranges hold.
int64_t CountRows(const RowRanges& ranges);

// The pages of a chunk of `rows` rows, given its offset index's `locations`, that hold a row of
// `ranges` (normalized), ascending. nullopt when the locations cannot be trusted to say (the
// first page does not start at row 0, first rows do not ascend, or offsets do not ascend), in
// which case every page must be read.
std::optional<std::vector<size_t>> PagesHoldingRows(const std::vector<PageLocation>& locations,
                                                    int64_t rows, const RowRanges& ranges);

}  // namespace sluice::parquet
