// Row selection: which pages hold selected rows, and readers that return exactly the selected
// rows of every column (nullable, dictionary-encoded, v1 and v2 pages, with and without an offset
// index, dictionaries kept or decoded) while skipping the pages that hold none of them.
#include "sluice/io/parquet/row_selection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/dictionary.h"
#include "sluice/table/equal.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

TEST(RowSelectionTest, NormalizeClipsSortsAndMerges) {
  EXPECT_EQ(NormalizeRowRanges({{50, 60}, {-5, 10}, {10, 20}, {30, 30}, {55, 120}}, 100),
            (RowRanges{{0, 20}, {50, 100}}));
  EXPECT_EQ(CountRows({{0, 20}, {50, 100}}), 70);
  EXPECT_TRUE(NormalizeRowRanges({{100, 200}}, 100).empty());
}

TEST(RowSelectionTest, UniteMergesAndIntersectKeepsTheCommonRows) {
  EXPECT_EQ(UniteRowRanges({{50, 60}, {0, 10}}, {{10, 20}, {55, 70}, {90, 95}}),
            (RowRanges{{0, 20}, {50, 70}, {90, 95}}));
  EXPECT_EQ(UniteRowRanges({}, {{5, 5}}), (RowRanges{{5, 5}}));  // not normalized
  EXPECT_EQ(IntersectRowRanges({{0, 20}, {50, 70}}, {{10, 55}, {60, 61}, {69, 80}}),
            (RowRanges{{10, 20}, {50, 55}, {60, 61}, {69, 70}}));
  EXPECT_TRUE(IntersectRowRanges({{0, 10}}, {{10, 20}}).empty());
}

TEST(RowSelectionTest, PagesHoldingRowsPicksThePagesThatOverlap) {
  // Pages of rows [0, 10), [10, 20), [20, 30), [30, 45).
  const std::vector<PageLocation> pages = {
      {100, 10, 0}, {110, 10, 10}, {120, 10, 20}, {130, 10, 30}};
  EXPECT_EQ(PagesHoldingRows(pages, 45, {{12, 13}}), (std::vector<size_t>{1}));
  EXPECT_EQ(PagesHoldingRows(pages, 45, {{9, 11}, {44, 45}}), (std::vector<size_t>{0, 1, 3}));
  EXPECT_EQ(PagesHoldingRows(pages, 45, {{5, 35}}), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(PagesHoldingRows(pages, 45, {}), (std::vector<size_t>{}));
  // Locations that do not say: not from row 0, rows or offsets not ascending.
  EXPECT_FALSE(PagesHoldingRows({{100, 10, 5}}, 45, {{0, 1}}));
  EXPECT_FALSE(PagesHoldingRows({{100, 10, 0}, {110, 10, 0}}, 45, {{0, 1}}));
  EXPECT_FALSE(PagesHoldingRows({{100, 10, 0}, {90, 10, 10}}, 45, {{0, 1}}));
}

class RowSelectionReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_row_selection_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // 2 row groups of 2,500 rows in small pages: id, a nullable int with every third row null, a
  // nullable low-cardinality string with empty strings, a double with NaN.
  std::string Write(bool v2, bool dictionary, bool page_index) {
    const std::string path = (dir_ / ("t" + std::to_string(v2) + std::to_string(dictionary) +
                                      std::to_string(page_index) + ".parquet"))
                                 .string();
    auto schema =
        std::make_shared<const Schema>(std::vector<Field>{{"id", DataType::Int64(), false},
                                                          {"n", DataType::Int32()},
                                                          {"s", DataType::String()},
                                                          {"d", DataType::Float64()}});
    ParquetWriteOptions options;
    options.row_group_rows = 2500;
    options.page_index = page_index;
    options.column.page_size = 300;
    options.column.data_page_v2 = v2;
    options.column.dictionary = dictionary;
    auto writer = ParquetWriter::Open(path, schema, options);
    FixedWidthBuilder<int64_t> id;
    FixedWidthBuilder<int32_t> n;
    BinaryBuilder s;
    FixedWidthBuilder<double> d;
    for (int64_t r = 0; r < 5000; ++r) {
      id.Append(r);
      r % 3 == 0 ? n.AppendNull() : n.Append(static_cast<int32_t>(r * 7 % 101));
      if (r % 5 == 0) {
        s.AppendNull();
      } else {
        s.Append(r % 5 == 1 ? "" : "v" + std::to_string(r % 13));
      }
      d.Append(r % 11 == 0 ? std::nan("") : static_cast<double>(r) / 4);
    }
    writer->Write(RecordBatch::Make(schema, {id.Finish(), n.Finish(), s.Finish(), d.Finish()}));
    writer->Close();
    return path;
  }

  fs::path dir_;
};

// The selected rows of row group `group` of a whole read.
RecordBatch Expected(ParquetFileReader& file, int group, const RowRanges& rows) {
  ParquetReadOptions all;
  all.row_groups = {group};
  std::vector<RecordBatch> batches = file.ReadAll(all);
  const RecordBatch whole = Concat(batches);
  std::vector<RecordBatch> parts;
  for (const RowRange& r : rows) parts.push_back(whole.Slice(r.begin, r.end - r.begin));
  return Concat(parts);
}

TEST_F(RowSelectionReadTest, EveryColumnYieldsExactlyTheSelectedRows) {
  std::mt19937 random(7);
  std::vector<RowRanges> selections = {
      {{0, 1}}, {{1200, 1300}}, {{37, 38}, {500, 1700}, {2400, 2500}}, {{0, 2500}}, {{2499, 2500}}};
  for (int i = 0; i < 6; ++i) {
    RowRanges r;
    for (int k = 0; k < 5; ++k) {
      const int64_t begin = random() % 2500;
      r.push_back({begin, begin + 1 + static_cast<int64_t>(random() % 200)});
    }
    selections.push_back(NormalizeRowRanges(r, 2500));
  }
  for (bool v2 : {false, true}) {
    for (bool dictionary : {false, true}) {
      for (bool page_index : {false, true}) {
        auto file = ParquetFileReader::Open(Write(v2, dictionary, page_index));
        for (bool keep_dictionary : {false, true}) {
          for (const RowRanges& rows : selections) {
            SCOPED_TRACE(::testing::Message()
                         << "v2 " << v2 << " dictionary " << dictionary << " page index "
                         << page_index << " keep " << keep_dictionary << " first range "
                         << rows.front().begin << ".." << rows.front().end);
            ParquetReadOptions options;
            options.row_groups = {1, 0};
            options.batch_rows = 333;  // batches that span ranges and pages
            options.row_selection[1] = rows;
            if (keep_dictionary) options.dictionary_columns = {"s", "n"};
            auto reader = file->ReadBatches(options);
            std::vector<RecordBatch> got;
            while (std::optional<RecordBatch> b = reader->Next()) {
              got.push_back(DecodeDictionaries(*b));
            }
            const RecordBatch all = Concat(got);
            ASSERT_EQ(all.num_rows(), CountRows(rows) + 2500);
            EXPECT_TRUE(all.Slice(0, CountRows(rows)) == Expected(*file, 1, rows));
            EXPECT_TRUE(all.Slice(CountRows(rows), 2500) == Expected(*file, 0, {{0, 2500}}));
            if (page_index && CountRows(rows) <= 200) {
              EXPECT_GT(reader->pages_skipped(), 0);
            }
          }
        }
      }
    }
  }
}

// Counts the bytes read through it.
class CountingSource final : public RandomAccessSource {
 public:
  explicit CountingSource(std::unique_ptr<RandomAccessSource> inner) : inner_(std::move(inner)) {}
  const std::string& name() const override { return inner_->name(); }
  int64_t Size() override { return inner_->Size(); }
  void ReadAt(int64_t offset, std::span<uint8_t> out) override {
    bytes_ += static_cast<int64_t>(out.size());
    inner_->ReadAt(offset, out);
  }
  int64_t bytes_ = 0;

 private:
  std::unique_ptr<RandomAccessSource> inner_;
};

TEST_F(RowSelectionReadTest, WithAnOffsetIndexOnlyThePagesHoldingSelectedRowsAreFetched) {
  for (bool dictionary : {false, true}) {
    auto counting = std::make_unique<CountingSource>(
        LocalFileSource::Open(Write(/*v2=*/false, dictionary, /*page_index=*/true)));
    CountingSource* source = counting.get();
    auto file = ParquetFileReader::Open(std::move(counting));
    const ColumnChunk& chunk = file->footer().metadata.row_groups[0].columns[2];
    const int64_t pages =
        ReadColumnPageIndex(file->source(), chunk).offset_index->page_locations.size();
    ParquetReadOptions options;
    options.columns = {"s"};
    options.row_groups = {0};
    options.row_selection[0] = {{1000, 1010}};
    source->bytes_ = 0;
    auto reader = file->ReadBatches(options);
    std::optional<RecordBatch> b = reader->Next();
    ASSERT_TRUE(b);
    ASSERT_EQ(b->num_rows(), 10);
    EXPECT_TRUE(b->column(0).IsNull(0));  // row 1000: r % 5 == 0
    EXPECT_EQ(b->column(0).BinaryValue(1), "");
    EXPECT_EQ(b->column(0).BinaryValue(2), "v" + std::to_string(1002 % 13));
    EXPECT_FALSE(reader->Next());
    // One or two pages are read (and the dictionary page), the rest skipped unfetched.
    EXPECT_GE(reader->pages_skipped(), pages - 2) << dictionary;
    // (A dictionary-encoded chunk of 14 values is mostly its dictionary page.)
    EXPECT_LT(source->bytes_, chunk.meta_data->total_compressed_size / (dictionary ? 1 : 4));
  }
}

TEST(RowSelectionFileTest, FilesFromOtherWritersReadTheSelectedRows) {
  // parquet-mr's files with pages of a few rows and a page index, dictionary-encoded and not.
  for (const char* name : {"alltypes_tiny_pages.parquet", "alltypes_tiny_pages_plain.parquet"}) {
    auto file = ParquetFileReader::Open(std::string(SLUICE_PARQUET_TESTING_DIR) + "/data/" + name);
    const int64_t rows = file->footer().metadata.row_groups[0].num_rows;
    for (const RowRanges& selection : {RowRanges{{0, 3}}, RowRanges{{rows / 2, rows / 2 + 500}},
                                       RowRanges{{17, 18}, {1000, 1100}, {rows - 40, rows}}}) {
      ParquetReadOptions options;
      options.row_groups = {0};
      options.row_selection[0] = selection;
      auto reader = file->ReadBatches(options);
      std::vector<RecordBatch> got;
      while (std::optional<RecordBatch> b = reader->Next()) got.push_back(std::move(*b));
      EXPECT_TRUE(Concat(got) == Expected(*file, 0, selection)) << name;
      EXPECT_GT(reader->pages_skipped(), 0) << name;
    }
  }
}

}  // namespace
}  // namespace sluice::parquet
