#include "sluice/io/parquet/page_index_test_support.h"

#include <gtest/gtest.h>

#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/statistics_merge.h"

namespace sluice::parquet::testing {

std::vector<IndexedPage> ExpectPageIndexMatchesPages(RandomAccessSource& source,
                                                     const ParquetFooter& footer, int row_group,
                                                     int column, const ColumnPageIndex& index) {
  SCOPED_TRACE(::testing::Message()
               << source.name() << " row group " << row_group << " column " << column);
  const RowGroup& group = footer.metadata.row_groups[static_cast<size_t>(row_group)];
  const ColumnMetaData& meta = *group.columns[static_cast<size_t>(column)].meta_data;
  const ColumnDescriptor& descriptor = footer.schema.columns()[static_cast<size_t>(column)];
  ColumnChunkRange range = ColumnChunkReadRange(meta, footer.metadata, footer.metadata_offset);
  std::vector<uint8_t> bytes(static_cast<size_t>(range.length));
  source.ReadAt(range.start, bytes);

  std::vector<IndexedPage> pages;
  std::vector<PageLocation> found;
  PageIterator iterator(bytes, range.start, meta.num_values);
  RawPage page;
  int64_t next_row = 0;
  bool rows_known = true;
  while (iterator.Next(&page)) {
    if (page.header.type != PageType::kDataPage && page.header.type != PageType::kDataPageV2) {
      continue;
    }
    IndexedPage indexed;
    indexed.v2 = page.header.type == PageType::kDataPageV2;
    indexed.values = indexed.v2 ? page.header.data_page_header_v2->num_values
                                : page.header.data_page_header->num_values;
    if (indexed.v2) {
      indexed.rows = page.header.data_page_header_v2->num_rows;
    } else {
      indexed.rows = descriptor.max_repetition_level == 0 ? indexed.values : -1;
    }
    indexed.first_row = rows_known ? next_row : -1;
    if (indexed.rows < 0) rows_known = false;
    next_row += indexed.rows;
    pages.push_back(indexed);
    int64_t header_size =
        static_cast<int64_t>(page.data.data() - bytes.data()) - (page.file_offset - range.start);
    found.push_back({page.file_offset,
                     static_cast<int32_t>(header_size + static_cast<int64_t>(page.data.size())),
                     indexed.first_row});
  }
  if (!index.offset_index) {
    ADD_FAILURE() << "no offset index";
    return pages;
  }
  const std::vector<PageLocation>& locations = index.offset_index->page_locations;
  EXPECT_EQ(locations.size(), found.size());
  for (size_t i = 0; i < std::min(locations.size(), found.size()); ++i) {
    SCOPED_TRACE(::testing::Message() << "page " << i);
    EXPECT_EQ(locations[i].offset, found[i].offset);
    EXPECT_EQ(locations[i].compressed_page_size, found[i].compressed_page_size);
    if (found[i].first_row_index >= 0) {
      EXPECT_EQ(locations[i].first_row_index, found[i].first_row_index);
    }
    if (i == 0) {
      EXPECT_EQ(locations[i].first_row_index, 0);
    }
    if (i > 0) {
      EXPECT_LT(locations[i - 1].first_row_index, locations[i].first_row_index);
    }
  }
  if (!locations.empty()) {
    EXPECT_LT(locations.back().first_row_index, std::max<int64_t>(1, group.num_rows));
  }
  if (rows_known) {
    EXPECT_EQ(next_row, group.num_rows);
  }

  if (!index.column_index) return pages;
  const ColumnIndex& column_index = *index.column_index;
  EXPECT_EQ(column_index.null_pages.size(), found.size());
  StatisticsOrder order = StatisticsOrderOf(descriptor);
  if (order == StatisticsOrder::kUndefined) return pages;
  bool ascending = true;
  bool descending = true;
  int previous = -1;
  for (size_t i = 0; i < column_index.null_pages.size(); ++i) {
    if (column_index.null_pages[i]) {
      EXPECT_TRUE(column_index.min_values[i].empty());
      EXPECT_TRUE(column_index.max_values[i].empty());
      continue;
    }
    const std::string& min = column_index.min_values[i];
    const std::string& max = column_index.max_values[i];
    EXPECT_LE(CompareStatisticsValues(descriptor, order, min, max), 0) << "page " << i;
    if (previous >= 0) {
      size_t p = static_cast<size_t>(previous);
      int min_order = CompareStatisticsValues(descriptor, order, column_index.min_values[p], min);
      int max_order = CompareStatisticsValues(descriptor, order, column_index.max_values[p], max);
      if (min_order > 0 || max_order > 0) ascending = false;
      if (min_order < 0 || max_order < 0) descending = false;
    }
    previous = static_cast<int>(i);
  }
  if (column_index.boundary_order == BoundaryOrder::kAscending) {
    EXPECT_TRUE(ascending);
  }
  if (column_index.boundary_order == BoundaryOrder::kDescending) {
    EXPECT_TRUE(descending);
  }
  return pages;
}

}  // namespace sluice::parquet::testing
