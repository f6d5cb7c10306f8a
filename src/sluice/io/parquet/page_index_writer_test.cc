// The writer's page index option: files with many pages per column (sorted, reverse-sorted and
// unsorted columns, nulls, all-null pages, NaN, strings, unsigned and decimal orders) over data
// page v1/v2, dictionary/PLAIN and two codecs. Each chunk's index is read back through the footer
// and checked against the pages themselves (page_index_test_support.h) and against the true
// per-page bounds computed here from the input arrays with the reader's comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/page_index_test_support.h"
#include "sluice/io/parquet/statistics_merge.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class PageIndexWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_page_index_writer_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

template <typename T>
std::string Bytes(T value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Value i of `array` as the writer stores it (the test's own conversion).
std::string PhysicalBytes(const Array& array, int64_t i) {
  switch (array.type().id()) {
    case TypeId::kBool:
      return std::string(1, array.BoolValue(i) ? '\1' : '\0');
    case TypeId::kInt32:
    case TypeId::kDate32:
      return Bytes(array.Value<int32_t>(i));
    case TypeId::kUInt32:
      return Bytes(array.Value<uint32_t>(i));
    case TypeId::kInt64:
      return Bytes(array.Value<int64_t>(i));
    case TypeId::kFloat64:
      return Bytes(array.Value<double>(i));
    case TypeId::kString:
      return std::string(array.BinaryValue(i));
    case TypeId::kDecimal128: {
      // FIXED_LEN_BYTE_ARRAY(11) for precision 25: big-endian two's complement.
      __int128 v = array.Value<Decimal128>(i).ToInt128();
      std::string out(11, '\0');
      for (int b = 10; b >= 0; --b, v >>= 8) out[static_cast<size_t>(b)] = static_cast<char>(v);
      return out;
    }
    default:
      ADD_FAILURE() << "no conversion for " << array.type().ToString();
      return {};
  }
}

struct ExpectedPage {
  int64_t nulls = 0;
  int64_t nans = 0;
  std::optional<std::string> min;
  std::optional<std::string> max;
};

// The true bounds of rows [begin, end) of `array`, in the reader's order for `descriptor`.
ExpectedPage TrueBounds(const ColumnDescriptor& descriptor, const Array& array, int64_t begin,
                        int64_t end) {
  StatisticsOrder order = StatisticsOrderOf(descriptor);
  ExpectedPage page;
  bool is_double = array.type().id() == TypeId::kFloat64;
  for (int64_t i = begin; i < end; ++i) {
    if (array.IsNull(i)) {
      ++page.nulls;
      continue;
    }
    if (is_double && std::isnan(array.Value<double>(i))) {
      ++page.nans;
      continue;
    }
    std::string v = PhysicalBytes(array, i);
    if (!page.min || CompareStatisticsValues(descriptor, order, v, *page.min) < 0) page.min = v;
    if (!page.max || CompareStatisticsValues(descriptor, order, v, *page.max) > 0) page.max = v;
  }
  if (is_double && page.min) {
    // parquet-format: a zero lower bound is -0.0, a zero upper bound +0.0.
    double low, high;
    std::memcpy(&low, page.min->data(), 8);
    std::memcpy(&high, page.max->data(), 8);
    if (low == 0.0) page.min = Bytes(-0.0);
    if (high == 0.0) page.max = Bytes(0.0);
  }
  return page;
}

// The boundary order of these pages: both bound lists non-decreasing over the non-null pages
// (ascending wins a tie), else both non-increasing, else unordered.
BoundaryOrder ExpectedOrder(const ColumnDescriptor& descriptor,
                            const std::vector<ExpectedPage>& pages) {
  StatisticsOrder order = StatisticsOrderOf(descriptor);
  bool ascending = true;
  bool descending = true;
  const ExpectedPage* previous = nullptr;
  for (const ExpectedPage& page : pages) {
    if (!page.min) continue;
    if (previous != nullptr) {
      for (auto [a, b] : {std::pair(previous->min, page.min), std::pair(previous->max, page.max)}) {
        int c = CompareStatisticsValues(descriptor, order, *a, *b);
        ascending &= c <= 0;
        descending &= c >= 0;
      }
    }
    previous = &page;
  }
  return ascending    ? BoundaryOrder::kAscending
         : descending ? BoundaryOrder::kDescending
                      : BoundaryOrder::kUnordered;
}

RecordBatch MakeBatch(int64_t rows) {
  auto schema =
      std::make_shared<const Schema>(std::vector<Field>{{"asc", DataType::Int64(), false},
                                                        {"desc", DataType::Int32()},
                                                        {"mixed", DataType::Float64()},
                                                        {"name", DataType::String()},
                                                        {"u32", DataType::UInt32()},
                                                        {"dec", DataType::Decimal128(25, 0)},
                                                        {"flag", DataType::Bool()},
                                                        {"same", DataType::String(), false},
                                                        {"day", DataType::Date32()}});
  std::mt19937_64 rng(42);
  Int64Builder asc;
  Int32Builder desc;
  Float64Builder mixed;
  StringBuilder name;
  UInt32Builder u32;
  Decimal128Builder dec(DataType::Decimal128(25, 0));
  BoolBuilder flag;
  StringBuilder same;
  Int32Builder day(DataType::Date32());
  for (int64_t i = 0; i < rows; ++i) {
    asc.Append(i * 3 - 1000);
    i % 5 == 0 ? desc.AppendNull() : desc.Append(static_cast<int32_t>(100000 - i));
    if (i % 7 == 3 || (i >= 4000 && i < 9000)) {
      mixed.AppendNull();
    } else if (i % 97 == 0) {
      mixed.Append(std::nan(""));
    } else if (i % 89 == 0) {
      mixed.Append(i % 2 == 0 ? -0.0 : 0.0);
    } else {
      mixed.Append(static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 8);
    }
    if (i >= 12000 && i < 16000) {
      name.AppendNull();
    } else {
      name.Append(std::string(rng() % 12, static_cast<char>('a' + rng() % 26)) +
                  (i % 11 == 0 ? "\xc3\xa9" : ""));
    }
    u32.Append(static_cast<uint32_t>(rng()));
    __int128 big = static_cast<__int128>(static_cast<int64_t>(rng())) * 1000003;
    dec.Append(Decimal128::FromInt128(i % 3 == 0 ? -big : big));
    flag.Append(rng() % 3 == 0);
    same.Append("same");
    i % 13 == 0 ? day.AppendNull() : day.Append(static_cast<int32_t>(20000 + i / 50));
  }
  return RecordBatch::Make(
      schema, {asc.Finish(), desc.Finish(), mixed.Finish(), name.Finish(), u32.Finish(),
               dec.Finish(), flag.Finish(), same.Finish(), day.Finish()});
}

RecordBatch ReadBack(const std::string& path) {
  return Concat(ParquetFileReader::Open(path)->ReadAll({}));
}

TEST_F(PageIndexWriterTest, IndexesMatchPagesAndTrueBounds) {
  constexpr int64_t kRows = 20000;
  constexpr int64_t kRowGroupRows = 7000;
  RecordBatch batch = MakeBatch(kRows);
  for (CompressionCodec codec : {CompressionCodec::kSnappy, CompressionCodec::kUncompressed}) {
    for (bool v2 : {false, true}) {
      for (bool dictionary : {true, false}) {
        SCOPED_TRACE(::testing::Message() << "codec " << static_cast<int>(codec) << " v2 " << v2
                                          << " dictionary " << dictionary);
        ParquetWriteOptions options;
        options.codec = codec;
        options.page_index = true;
        options.row_group_rows = kRowGroupRows;
        options.column.page_size = 1024;
        options.column.data_page_v2 = v2;
        options.column.dictionary = dictionary;
        options.column.page_crc = v2;
        std::string path = Path("indexed.parquet");
        WriteParquetFile(path, batch.shared_schema(),
                         {batch.Slice(0, 4321), batch.Slice(4321, kRows - 4321)}, options);
        EXPECT_TRUE(RecordBatchEquals(ReadBack(path), batch));

        std::unique_ptr<LocalFileSource> source = LocalFileSource::Open(path);
        ParquetFooter footer = ReadFooter(*source);
        ASSERT_EQ(footer.metadata.row_groups.size(), 3u);
        // Layout: every column index, then every offset index, between the last chunk and the
        // footer, with no gaps.
        const RowGroup& last_group = footer.metadata.row_groups.back();
        const ColumnMetaData& last_chunk = *last_group.columns.back().meta_data;
        int64_t next = ComputeColumnChunkRange(last_chunk).start + last_chunk.total_compressed_size;
        for (bool offsets : {false, true}) {
          for (const RowGroup& group : footer.metadata.row_groups) {
            for (const ColumnChunk& chunk : group.columns) {
              const auto& offset = offsets ? chunk.offset_index_offset : chunk.column_index_offset;
              const auto& length = offsets ? chunk.offset_index_length : chunk.column_index_length;
              ASSERT_TRUE(offset.has_value() && length.has_value());
              EXPECT_EQ(*offset, next);
              next = *offset + *length;
            }
          }
        }
        EXPECT_EQ(next, footer.metadata_offset);

        std::vector<int> null_pages(static_cast<size_t>(batch.num_columns()));
        for (size_t r = 0; r < footer.metadata.row_groups.size(); ++r) {
          const RowGroup& group = footer.metadata.row_groups[r];
          int64_t group_start = static_cast<int64_t>(r) * kRowGroupRows;
          for (size_t c = 0; c < group.columns.size(); ++c) {
            SCOPED_TRACE(::testing::Message() << "row group " << r << " column "
                                              << batch.schema().field(static_cast<int>(c)).name);
            const ColumnChunk& chunk = group.columns[c];
            const ColumnDescriptor& descriptor = footer.schema.columns()[c];
            ColumnPageIndex index = ReadColumnPageIndex(*source, chunk);
            std::vector<testing::IndexedPage> pages = testing::ExpectPageIndexMatchesPages(
                *source, footer, static_cast<int>(r), static_cast<int>(c), index);
            ASSERT_TRUE(index.offset_index && index.column_index);
            // The dictionary page is not indexed: the first entry is the first data page.
            EXPECT_EQ(index.offset_index->page_locations[0].offset,
                      chunk.meta_data->data_page_offset);
            EXPECT_GE(pages.size(), 3u);
            const ColumnIndex& ci = *index.column_index;
            ASSERT_EQ(ci.null_counts.size(), pages.size());
            EXPECT_EQ(ci.nan_counts.size(), c == 2 ? pages.size() : 0u);
            std::vector<ExpectedPage> expected_pages;
            for (size_t p = 0; p < pages.size(); ++p) {
              SCOPED_TRACE(::testing::Message() << "page " << p);
              const ExpectedPage& expected = expected_pages.emplace_back(TrueBounds(
                  descriptor, batch.column(static_cast<int>(c)), group_start + pages[p].first_row,
                  group_start + pages[p].first_row + pages[p].rows));
              EXPECT_EQ(ci.null_counts[p], expected.nulls);
              if (c == 2) {
                EXPECT_EQ(ci.nan_counts[p], expected.nans);
              }
              EXPECT_EQ(ci.null_pages[p], !expected.min.has_value());
              EXPECT_EQ(ci.min_values[p], expected.min.value_or(""));
              EXPECT_EQ(ci.max_values[p], expected.max.value_or(""));
              null_pages[c] += ci.null_pages[p] ? 1 : 0;
            }
            EXPECT_EQ(ci.boundary_order, ExpectedOrder(descriptor, expected_pages));
            if (c == 0 || c == 8) {
              EXPECT_EQ(ci.boundary_order, BoundaryOrder::kAscending);
            }
            if (c == 1) {
              EXPECT_EQ(ci.boundary_order, BoundaryOrder::kDescending);
            }
            if (c == 2) {
              EXPECT_EQ(ci.boundary_order, BoundaryOrder::kUnordered);
            }
          }
        }
        // The null runs of "mixed" and "name" fill whole pages; no other column has such a page.
        EXPECT_GT(null_pages[2], 0);
        EXPECT_GT(null_pages[3], 0);
        EXPECT_EQ(null_pages[0] + null_pages[1] + null_pages[4] + null_pages[8], 0);
      }
    }
  }
}

TEST_F(PageIndexWriterTest, OffByDefault) {
  RecordBatch batch = MakeBatch(3000);
  ParquetWriteOptions options;
  options.column.page_size = 1024;
  std::string path = Path("plain.parquet");
  WriteParquetFile(path, batch.shared_schema(), {batch}, options);
  ParquetFooter footer = ReadFooter(path);
  for (const ColumnChunk& chunk : footer.metadata.row_groups[0].columns) {
    EXPECT_FALSE(chunk.offset_index_offset || chunk.offset_index_length ||
                 chunk.column_index_offset || chunk.column_index_length);
  }
}

// A page of only NaN has no bounds under the type-defined order, so that chunk gets no column
// index (parquet.thrift); its offset index and the other columns' indexes are still written.
TEST_F(PageIndexWriterTest, AllNaNPageDropsTheChunksColumnIndex) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"f", DataType::Float64(), false}, {"i", DataType::Int64(), false}});
  Float64Builder f;
  Int64Builder i;
  for (int64_t row = 0; row < 3000; ++row) {
    f.Append(row < 1500 ? std::nan("") : static_cast<double>(row));
    i.Append(row);
  }
  RecordBatch batch = RecordBatch::Make(schema, {f.Finish(), i.Finish()});
  ParquetWriteOptions options;
  options.page_index = true;
  options.column.page_size = 1024;
  options.column.dictionary = false;
  std::string path = Path("nan.parquet");
  WriteParquetFile(path, schema, {batch}, options);
  std::unique_ptr<LocalFileSource> source = LocalFileSource::Open(path);
  ParquetFooter footer = ReadFooter(*source);
  const RowGroup& group = footer.metadata.row_groups[0];
  EXPECT_FALSE(group.columns[0].column_index_offset.has_value());
  ColumnPageIndex nan_index = ReadColumnPageIndex(*source, group.columns[0]);
  EXPECT_FALSE(nan_index.column_index.has_value());
  EXPECT_GT(testing::ExpectPageIndexMatchesPages(*source, footer, 0, 0, nan_index).size(), 3u);
  ColumnPageIndex int_index = ReadColumnPageIndex(*source, group.columns[1]);
  ASSERT_TRUE(int_index.column_index.has_value());
  EXPECT_EQ(int_index.column_index->boundary_order, BoundaryOrder::kAscending);
  testing::ExpectPageIndexMatchesPages(*source, footer, 0, 1, int_index);
  EXPECT_TRUE(RecordBatchEquals(ReadBack(path), batch));
}

// The chunk writer on its own: offsets are file offsets, an empty chunk is one null page.
TEST_F(PageIndexWriterTest, ChunkWriterIndexesAnEmptyChunk) {
  std::vector<WriterColumn> columns =
      MakeWriterColumns(Schema(std::vector<Field>{{"s", DataType::String()}}));
  std::unique_ptr<Codec> codec = Codec::Make(CompressionCodec::kUncompressed, std::nullopt);
  std::vector<uint8_t> out;
  ColumnPageIndex index;
  Array empty = StringBuilder().Finish();
  ColumnChunk chunk =
      WriteColumnChunk(columns[0], std::span(&empty, 1), {}, *codec, 1000, &out, &index);
  ASSERT_TRUE(index.offset_index && index.column_index);
  ASSERT_EQ(index.offset_index->page_locations.size(), 1u);
  EXPECT_EQ(index.offset_index->page_locations[0],
            (PageLocation{1000, static_cast<int32_t>(out.size()), 0}));
  EXPECT_EQ(chunk.meta_data->data_page_offset, 1000);
  EXPECT_EQ(index.column_index->null_pages, std::vector<bool>{true});
  EXPECT_EQ(index.column_index->min_values, std::vector<std::string>{""});
  EXPECT_EQ(index.column_index->null_counts, std::vector<int64_t>{0});
  EXPECT_EQ(index.column_index->boundary_order, BoundaryOrder::kAscending);
}

}  // namespace
}  // namespace sluice::parquet
