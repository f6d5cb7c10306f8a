#include "sluice/io/parquet/row_selection.h"

#include <algorithm>

namespace sluice::parquet {

RowRanges NormalizeRowRanges(RowRanges ranges, int64_t rows) {
  for (RowRange& r : ranges) {
    r.begin = std::max<int64_t>(r.begin, 0);
    r.end = std::min(r.end, rows);
  }
  std::erase_if(ranges, [](const RowRange& r) { return r.begin >= r.end; });
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
