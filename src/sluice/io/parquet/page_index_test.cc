// Reading page indexes: every file in parquet-testing's data/ that carries one (written by
// parquet-mr, Arrow C++, arrow-rs, ...) decodes, and its offsets and first rows agree with the
// pages the page iterator finds; bad index ranges are InvalidData naming the file.
#include "sluice/io/parquet/page_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/page_index_test_support.h"
#include "sluice/io/parquet/parquet_testing_internal.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

TEST(PageIndexTest, ParquetTestingFilesWithAnIndexAgreeWithTheirPages) {
  fs::path dir = testing::ParquetTestingDir() / "data";
  SLUICE_REQUIRE_TEST_DATA(fs::exists(dir), "parquet-testing not found at " << dir);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".parquet") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> indexed_files;
  int64_t column_indexes = 0;
  int64_t pages = 0;
  for (const fs::path& file : files) {
    std::unique_ptr<LocalFileSource> source = LocalFileSource::Open(file.string());
    ParquetFooter footer;
    try {
      footer = ReadFooter(*source);
    } catch (const Error&) {
      continue;  // encrypted files; footer_test.cc covers the rest
    }
    bool any = false;
    for (size_t r = 0; r < footer.metadata.row_groups.size(); ++r) {
      const RowGroup& group = footer.metadata.row_groups[r];
      for (size_t c = 0; c < group.columns.size(); ++c) {
        const ColumnChunk& chunk = group.columns[c];
        if (!chunk.offset_index_offset && !chunk.column_index_offset) continue;
        SCOPED_TRACE(file.filename().string());
        ColumnPageIndex index = ReadColumnPageIndex(*source, chunk);
        std::vector<testing::IndexedPage> found = testing::ExpectPageIndexMatchesPages(
            *source, footer, static_cast<int>(r), static_cast<int>(c), index);
        pages += static_cast<int64_t>(found.size());
        column_indexes += index.column_index ? 1 : 0;
        any = true;
      }
    }
    if (any) indexed_files.push_back(file.filename().string());
  }
  // The corpus's indexed files include these; the test must not pass by finding none.
  for (const char* name : {"alltypes_tiny_pages.parquet", "alltypes_tiny_pages_plain.parquet",
                           "data_index_bloom_encoding_stats.parquet"}) {
    EXPECT_NE(std::find(indexed_files.begin(), indexed_files.end(), name), indexed_files.end())
        << name;
  }
  EXPECT_GT(column_indexes, 20);
  EXPECT_GT(pages, 1000);
}

TEST(PageIndexTest, RangesOutsideTheFileAreInvalidData) {
  std::vector<uint8_t> bytes;
  OffsetIndex offsets;
  offsets.page_locations.push_back({4, 100, 0});
  EncodeOffsetIndex(offsets, &bytes);
  MemorySource source(bytes, "mem.parquet");

  ColumnChunk chunk;
  chunk.offset_index_offset = 0;
  chunk.offset_index_length = static_cast<int32_t>(bytes.size());
  ColumnPageIndex index = ReadColumnPageIndex(source, chunk);
  ASSERT_TRUE(index.offset_index.has_value());
  EXPECT_EQ(*index.offset_index, offsets);
  EXPECT_FALSE(index.column_index.has_value());

  for (auto [offset, length] : std::vector<std::pair<int64_t, int32_t>>{
           {1, static_cast<int32_t>(bytes.size())}, {-1, 2}, {0, 0}, {0, -5}, {1 << 30, 1}}) {
    ColumnChunk bad;
    bad.offset_index_offset = offset;
    bad.offset_index_length = length;
    try {
      ReadColumnPageIndex(source, bad);
      ADD_FAILURE() << offset << " " << length << " accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      EXPECT_EQ(error.ContextValue("file"), "mem.parquet");
      EXPECT_EQ(error.ContextValue("stage"), "page index");
    }
  }
  // A length without an offset is as bad.
  ColumnChunk half;
  half.column_index_length = 10;
  EXPECT_THROW(ReadColumnPageIndex(source, half), Error);

  // Both parts present but disagreeing on the page count.
  ColumnIndex two_pages;
  two_pages.null_pages = {true, true};
  two_pages.min_values = {"", ""};
  two_pages.max_values = {"", ""};
  size_t column_index_start = bytes.size();
  EncodeColumnIndex(two_pages, &bytes);
  MemorySource both(bytes, "both.parquet");
  chunk.column_index_offset = static_cast<int64_t>(column_index_start);
  chunk.column_index_length = static_cast<int32_t>(bytes.size() - column_index_start);
  EXPECT_THROW(ReadColumnPageIndex(both, chunk), Error);
}

}  // namespace
}  // namespace sluice::parquet
