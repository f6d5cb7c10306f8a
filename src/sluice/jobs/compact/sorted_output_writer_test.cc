// Tests for sorted_output_writer.h: the layout splits planned row groups that would not fit; rows
// handed over in order fill the plan's files and row groups in order, with statistics, page
// indexes and Bloom filters on the named columns; too few or too many rows are refused.
#include "sluice/jobs/compact/sorted_output_writer.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

// Files of the given row groups' rows.
std::shared_ptr<PartitionPlan> PlanOf(const std::vector<std::vector<int64_t>>& files) {
  auto plan = std::make_shared<PartitionPlan>();
  for (size_t f = 0; f < files.size(); ++f) {
    OutputFilePlan& file = plan->files.emplace_back();
    file.name = "part-0000" + std::to_string(f) + ".parquet";
    for (int64_t rows : files[f]) {
      file.row_groups.push_back(OutputRowGroupPlan{{}, rows, 0});
      file.rows += rows;
    }
    plan->rows += file.rows;
  }
  return plan;
}

std::shared_ptr<const Schema> KeyNameSchema() {
  return std::make_shared<const Schema>(
      std::vector<Field>{{"key", DataType::Int64()}, {"name", DataType::String()}});
}

// Rows [from, to): key = i, name = "n<i>".
RecordBatch Rows(int64_t from, int64_t to) {
  Int64Builder key;
  StringBuilder name;
  for (int64_t i = from; i < to; ++i) {
    key.Append(i);
    name.Append("n" + std::to_string(i));
  }
  return RecordBatch::Make(KeyNameSchema(), {key.Finish(), name.Finish()});
}

TEST(SortedOutputWriterTest, LayoutSplitsRowGroupsThatWouldNotFit) {
  const auto plan = PlanOf({{1000, 500}, {300}});
  const std::vector<SortedFileLayout> layout = SortedLayout(*plan, 100, 30000);
  ASSERT_EQ(layout.size(), 2u);
  EXPECT_EQ(layout[0].row_groups, (std::vector<int64_t>{250, 250, 250, 250, 250, 250}));
  EXPECT_EQ(layout[1].row_groups, (std::vector<int64_t>{300}));
  EXPECT_EQ(SortedLayout(*plan, 100, 1 << 30)[0].row_groups, (std::vector<int64_t>{1000, 500}));
}

TEST(SortedOutputWriterTest, RowsFillThePlansFilesInOrderWithIndexesAndFilters) {
  ScratchDir scratch("sluice-sorted-writer");
  const auto plan = PlanOf({{1000, 500}, {300}});
  CompactOptions options;
  options.bloom_filter_columns = {"key"};
  SortedOutputWriter writer(scratch.Path(""), plan, KeyNameSchema(), options, 1 << 20);
  for (int64_t at = 0; at < 1800; at += 700)
    writer.Write(Rows(at, std::min<int64_t>(at + 700, 1800)));
  std::vector<std::unique_ptr<parquet::RowGroupFileWriter>> files = writer.Finish();
  ASSERT_EQ(files.size(), 2u);
  for (auto& file : files) file->Close();
  int64_t next = 0;
  int groups = 0;
  for (const char* name : {"part-00000.parquet", "part-00001.parquet"}) {
    auto reader = parquet::ParquetFileReader::Open(scratch.Path(name));
    for (const auto& group : reader->footer().metadata.row_groups) {
      // Distinct keys: the first chunk's dictionary takes most of it, so later chunks are plain.
      EXPECT_EQ(group.columns[0].meta_data->dictionary_page_offset.has_value(), groups++ == 0);
      for (size_t c = 0; c < group.columns.size(); ++c) {
        const parquet::ColumnChunk& chunk = group.columns[c];
        EXPECT_TRUE(chunk.offset_index_offset.has_value());
        EXPECT_TRUE(chunk.column_index_offset.has_value());
        EXPECT_TRUE(chunk.meta_data->statistics.has_value());
        EXPECT_EQ(chunk.meta_data->bloom_filter_offset.has_value(), c == 0);
      }
    }
    for (const RecordBatch& batch : reader->ReadAll()) {
      for (int64_t i = 0; i < batch.num_rows(); ++i)
        ASSERT_EQ(batch.column(0).Value<int64_t>(i), next++);
    }
  }
  EXPECT_EQ(next, 1800);
}

TEST(SortedOutputWriterTest, RowsThatDoNotMatchThePlanAreRefused) {
  ScratchDir scratch("sluice-sorted-writer");
  CompactOptions options;
  SortedOutputWriter few(scratch.Path(""), PlanOf({{100}}), KeyNameSchema(), options, 1 << 20);
  few.Write(Rows(0, 50));
  EXPECT_THROW(few.Finish(), Error);
  SortedOutputWriter many(scratch.Path(""), PlanOf({{100}}), KeyNameSchema(), options, 1 << 20);
  EXPECT_THROW(many.Write(Rows(0, 150)), Error);
}

}  // namespace
}  // namespace sluice::compact
