#include "sluice/io/parquet/row_selection.h"

#include <algorithm>

namespace sluice::parquet {

namespace {

// Sorted by begin, overlapping or adjacent ranges merged.
RowRanges SortAndMerge(RowRanges ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const RowRange& a, const RowRange& b) { return a.begin < b.begin; });
  RowRanges out;
  for (const RowRange& r : ranges) {
    if (!out.empty() && r.begin <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

RowRanges NormalizeRowRanges(RowRanges ranges, int64_t rows) {
  for (RowRange& r : ranges) {
    r.begin = std::max<int64_t>(r.begin, 0);
    r.end = std::min(r.end, rows);
  }
  std::erase_if(ranges, [](const RowRange& r) { return r.begin >= r.end; });
  return SortAndMerge(std::move(ranges));
}

RowRanges UniteRowRanges(RowRanges a, const RowRanges& b) {
  a.insert(a.end(), b.begin(), b.end());
  return SortAndMerge(std::move(a));
}

RowRanges IntersectRowRanges(const RowRanges& a, const RowRanges& b) {
  RowRanges out;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    const int64_t lo = std::max(a[i].begin, b[j].begin);
    const int64_t hi = std::min(a[i].end, b[j].end);
    if (lo < hi) out.push_back({lo, hi});
    (a[i].end < b[j].end ? i : j) += 1;
  }
  return out;
}

int64_t CountRows(const RowRanges& ranges) {
  int64_t rows = 0;
  for (const RowRange& r : ranges) rows += r.end - r.begin;
  return rows;
}

std::optional<std::vector<size_t>> PagesHoldingRows(const std::vector<PageLocation>& locations,
                                                    int64_t rows, const RowRanges& ranges) {
  if (locations.empty() || locations.front().first_row_index != 0) return std::nullopt;
  for (size_t p = 1; p < locations.size(); ++p) {
    if (locations[p].first_row_index <= locations[p - 1].first_row_index ||
        locations[p].offset <= locations[p - 1].offset || locations[p].first_row_index >= rows) {
      return std::nullopt;
    }
  }
  std::vector<size_t> pages;
  size_t r = 0;
  for (size_t p = 0; p < locations.size() && r < ranges.size(); ++p) {
    const int64_t end = p + 1 < locations.size() ? locations[p + 1].first_row_index : rows;
    while (r < ranges.size() && ranges[r].end <= locations[p].first_row_index) ++r;
    if (r < ranges.size() && ranges[r].begin < end) pages.push_back(p);
  }
  return pages;
}

}  // namespace sluice::parquet
