#include "sluice/io/parquet/page_index_builder.h"

#include <utility>

#include "sluice/io/parquet/writer_statistics.h"

namespace sluice::parquet {

void PageIndexBuilder::Reset(const WriterColumn& column) {
  column_ = &column;
  offset_index_ = {};
  column_index_ = {};
  column_index_valid_ = true;
}

void PageIndexBuilder::AddPage(const PageLocation& location, const Statistics& stats,
                               int64_t values, int64_t nans) {
  offset_index_.page_locations.push_back(location);
  if (!column_index_valid_) return;
  bool null_page = values == 0;
  if (!null_page && !stats.min_value) {
    // Only NaN: no bounds can be written, so no column index for the chunk.
    column_index_valid_ = false;
    column_index_ = {};
    return;
  }
  column_index_.null_pages.push_back(null_page);
  column_index_.min_values.push_back(null_page ? std::string() : *stats.min_value);
  column_index_.max_values.push_back(null_page ? std::string() : *stats.max_value);
  column_index_.null_counts.push_back(stats.null_count.value_or(0));
  if (column_->physical_type == PhysicalType::kFloat ||
      column_->physical_type == PhysicalType::kDouble) {
    column_index_.nan_counts.push_back(nans);
  }
}

ColumnPageIndex PageIndexBuilder::Finish() {
  ColumnPageIndex result;
  if (column_index_valid_) {
    // Null pages carry no bounds and do not break an order.
    bool ascending = true;
    bool descending = true;
    const std::string* previous_min = nullptr;
    const std::string* previous_max = nullptr;
    for (size_t i = 0; i < column_index_.null_pages.size(); ++i) {
      if (column_index_.null_pages[i]) continue;
      const std::string& min = column_index_.min_values[i];
      const std::string& max = column_index_.max_values[i];
      if (previous_min != nullptr) {
        int min_order = CompareValues(*column_, *previous_min, min);
        int max_order = CompareValues(*column_, *previous_max, max);
        if (min_order > 0 || max_order > 0) ascending = false;
        if (min_order < 0 || max_order < 0) descending = false;
      }
      previous_min = &min;
      previous_max = &max;
    }
    column_index_.boundary_order = ascending    ? BoundaryOrder::kAscending
                                   : descending ? BoundaryOrder::kDescending
                                                : BoundaryOrder::kUnordered;
    result.column_index = std::move(column_index_);
  }
  result.offset_index = std::move(offset_index_);
  Reset(*column_);
  return result;
}

}  // namespace sluice::parquet
