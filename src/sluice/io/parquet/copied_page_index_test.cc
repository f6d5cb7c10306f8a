// IndexCopiedPages over column chunks laid out by hand: page headers as other writers (DuckDB,
// Arrow) write them, with or without page statistics, before bodies of filler bytes (the index
// reads headers only).
#include "sluice/io/parquet/copied_page_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/parquet/page_header.h"

namespace sluice::parquet {
namespace {

// A chunk under construction: pages appended after `base` bytes of something else in the file.
class ChunkBytes {
 public:
  explicit ChunkBytes(int64_t base) : base_(base), file_(static_cast<size_t>(base), 0xee) {}

  // Appends a page with a body of `body` bytes; returns its offset in the file.
  int64_t Add(PageHeader header, int32_t body) {
    const int64_t at = static_cast<int64_t>(file_.size());
    header.compressed_page_size = body;
    header.uncompressed_page_size = body;
    EncodePageHeader(header, &file_);
    file_.insert(file_.end(), static_cast<size_t>(body), 0xab);
    return at;
  }

  // The chunk's metadata: its first page at `base`, `values` values.
  ColumnMetaData Meta(int64_t values, bool dictionary) const {
    ColumnMetaData meta;
    meta.num_values = values;
    meta.total_compressed_size = static_cast<int64_t>(file_.size()) - base_;
    if (dictionary) {
      meta.dictionary_page_offset = base_;
      meta.data_page_offset = first_data_;
    } else {
      meta.data_page_offset = base_;
    }
    return meta;
  }
  void MarkFirstData(int64_t at) { first_data_ = at; }

  ReadBytesAt Reader() const {
    return [this](int64_t offset, std::span<uint8_t> out) {
      ASSERT_LE(offset + static_cast<int64_t>(out.size()), static_cast<int64_t>(file_.size()));
      std::memcpy(out.data(), file_.data() + offset, out.size());
    };
  }

 private:
  int64_t base_;
  int64_t first_data_ = 0;
  std::vector<uint8_t> file_;
};

Statistics Bounds(std::string min, std::string max, int64_t nulls) {
  Statistics s;
  s.min_value = std::move(min);
  s.max_value = std::move(max);
  s.null_count = nulls;
  return s;
}

PageHeader V1(int32_t values, std::optional<Statistics> stats) {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.data_page_header = DataPageHeader{.num_values = values, .statistics = std::move(stats)};
  return h;
}

PageHeader V2(int32_t values, int32_t nulls, int32_t rows, std::optional<Statistics> stats) {
  PageHeader h;
  h.type = PageType::kDataPageV2;
  h.data_page_header_v2 = DataPageHeaderV2{
      .num_values = values, .num_nulls = nulls, .num_rows = rows, .statistics = std::move(stats)};
  return h;
}

PageHeader Dictionary(int32_t values) {
  PageHeader h;
  h.type = PageType::kDictionaryPage;
  h.dictionary_page_header = DictionaryPageHeader{.num_values = values};
  return h;
}

TEST(CopiedPageIndexTest, DataPagesAreIndexedFromTheirHeadersAndTheDictionaryIsNot) {
  ChunkBytes chunk(4);
  chunk.Add(Dictionary(10), 40);
  const int64_t p0 = chunk.Add(V1(100, Bounds("a", "f", 2)), 300);
  chunk.MarkFirstData(p0);
  const int64_t p1 = chunk.Add(V1(50, Bounds("c", "z", 0)), 120);
  const int64_t p2 = chunk.Add(V1(7, Bounds("", "", 7)), 3);  // nulls only
  const int64_t end = chunk.Add(V1(1, Bounds("q", "q", 0)), 9);
  const ColumnPageIndex index = IndexCopiedPages(chunk.Meta(158, true), false, chunk.Reader());

  ASSERT_TRUE(index.offset_index.has_value());
  const std::vector<PageLocation>& pages = index.offset_index->page_locations;
  ASSERT_EQ(pages.size(), 4u);
  EXPECT_EQ(pages[0], (PageLocation{p0, static_cast<int32_t>(p1 - p0), 0}));
  EXPECT_EQ(pages[1], (PageLocation{p1, static_cast<int32_t>(p2 - p1), 100}));
  EXPECT_EQ(pages[2], (PageLocation{p2, static_cast<int32_t>(end - p2), 150}));
  EXPECT_EQ(pages[3].first_row_index, 157);

  ASSERT_TRUE(index.column_index.has_value());
  const ColumnIndex& ci = *index.column_index;
  EXPECT_EQ(ci.null_pages, (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(ci.min_values, (std::vector<std::string>{"a", "c", "", "q"}));
  EXPECT_EQ(ci.max_values, (std::vector<std::string>{"f", "z", "", "q"}));
  EXPECT_EQ(ci.null_counts, (std::vector<int64_t>{2, 0, 7, 0}));
  EXPECT_EQ(ci.boundary_order, BoundaryOrder::kUnordered);
}

TEST(CopiedPageIndexTest, V2PagesCountRowsAndNullsFromTheirHeaders) {
  ChunkBytes chunk(0);
  // A nested column: 30 level entries in 10 rows, then a page of nulls only without bounds.
  chunk.Add(V2(30, 3, 10, Bounds("\x01", "\x09", 99)), 64);
  const int64_t p1 = chunk.Add(V2(8, 8, 4, std::nullopt), 2);
  const ColumnPageIndex index = IndexCopiedPages(chunk.Meta(38, false), true, chunk.Reader());
  ASSERT_TRUE(index.offset_index && index.column_index);
  EXPECT_EQ(index.offset_index->page_locations[1].offset, p1);
  EXPECT_EQ(index.offset_index->page_locations[1].first_row_index, 10);
  // The header's num_nulls wins over the statistics' null count.
  EXPECT_EQ(index.column_index->null_counts, (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(index.column_index->null_pages, (std::vector<bool>{false, true}));
}

TEST(CopiedPageIndexTest, APageWithoutBoundsLeavesTheOffsetIndexOnly) {
  for (std::optional<Statistics> missing :
       {std::optional<Statistics>(), std::optional<Statistics>(Statistics{.null_count = 0})}) {
    ChunkBytes chunk(0);
    chunk.Add(V1(10, Bounds("a", "b", 0)), 16);
    chunk.Add(V1(10, missing), 16);
    const ColumnPageIndex index = IndexCopiedPages(chunk.Meta(20, false), false, chunk.Reader());
    ASSERT_TRUE(index.offset_index.has_value());
    EXPECT_EQ(index.offset_index->page_locations.size(), 2u);
    EXPECT_FALSE(index.column_index.has_value());
  }
}

TEST(CopiedPageIndexTest, DeprecatedBoundsAreNotTrusted) {
  Statistics old;
  old.min = "a";
  old.max = "b";
  old.null_count = 0;
  ChunkBytes chunk(0);
  chunk.Add(V1(10, old), 16);
  const ColumnPageIndex index = IndexCopiedPages(chunk.Meta(10, false), false, chunk.Reader());
  EXPECT_TRUE(index.offset_index.has_value());
  EXPECT_FALSE(index.column_index.has_value());
}

TEST(CopiedPageIndexTest, V1PagesOfARepeatedColumnGetNoIndex) {
  ChunkBytes chunk(0);
  chunk.Add(V1(10, Bounds("a", "b", 0)), 16);
  const ColumnPageIndex index = IndexCopiedPages(chunk.Meta(10, false), true, chunk.Reader());
  EXPECT_FALSE(index.offset_index.has_value());
  EXPECT_FALSE(index.column_index.has_value());
}

TEST(CopiedPageIndexTest, HeadersLargerThanTheFirstReadAreReadWhole) {
  const std::string long_min(5000, 'm');
  const std::string long_max(5000, 'n');
  ChunkBytes chunk(0);
  chunk.Add(V1(3, Bounds(long_min, long_max, 0)), 10);
  const int64_t p1 = chunk.Add(V1(4, Bounds("x", "y", 0)), 10);
  const ColumnPageIndex index = IndexCopiedPages(chunk.Meta(7, false), false, chunk.Reader());
  ASSERT_TRUE(index.column_index.has_value());
  EXPECT_EQ(index.column_index->min_values[0], long_min);
  EXPECT_EQ(index.column_index->max_values[0], long_max);
  EXPECT_EQ(index.offset_index->page_locations[1].offset, p1);
}

TEST(CopiedPageIndexTest, PagesThatDoNotHoldTheChunksValuesAreRefused) {
  ChunkBytes chunk(0);
  chunk.Add(V1(10, Bounds("a", "b", 0)), 16);
  try {
    IndexCopiedPages(chunk.Meta(11, false), false, chunk.Reader());
    FAIL() << "expected InvalidData";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_NE(std::string(e.what()).find("10 values, its metadata says 11"), std::string::npos)
        << e.what();
  }
}

TEST(CopiedPageIndexTest, PagesRunningPastTheChunksEndAreRefused) {
  ChunkBytes chunk(0);
  chunk.Add(V1(10, Bounds("a", "b", 0)), 16);
  ColumnMetaData meta = chunk.Meta(10, false);
  meta.total_compressed_size -= 1;
  EXPECT_THROW(IndexCopiedPages(meta, false, chunk.Reader()), Error);
}

}  // namespace
}  // namespace sluice::parquet
