// The bloom job through a table scan: `where` keeps only passing rows' values (CSV rows filtered
// as parsed, Parquet row groups and pages skipped by the page index), the values hash as the CSV
// byte path hashes them, and Parquet inputs are read.
#include "sluice/jobs/bloom/bloom_scan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sluice/io/fs/file_system.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

class BloomScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-bloom-scan-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  // id,name,n with names quoted around commas, doubled quotes and newlines, some empty (null).
  void WriteCsv() {
    std::string text = "id,name,n\n";
    for (int r = 0; r < 4000; ++r) {
      std::string name = r % 7 == 0   ? ""
                         : r % 3 == 0 ? "\"Doe, \"\"J" + std::to_string(r % 50) + "\"\"\nJr\""
                                      : "n" + std::to_string(r);
      text += std::to_string(r) + "," + name + "," + std::to_string(r % 11) + "\n";
    }
    fs::WriteWholeFile(*fs::LocalFileSystem(), Path("t.csv"), text);
  }
  static RunOptions Run() {
    RunOptions run;
    run.cpu_threads = 2;
    run.memory_budget = 64 << 20;
    run.progress = ProgressMode::kOff;
    return run;
  }
  std::filesystem::path dir_;
};

TEST_F(BloomScanTest, CsvValuesHashAsTheBytePathHashesThem) {
  WriteCsv();
  BloomJobOptions options;
  options.inputs = {Path("t.csv")};
  options.column = "name";
  options.expected_items = 4000;
  options.csv.chunk_bytes = 4096;
  const BloomJobResult bytes = RunBloomJob(options, Run());
  ASSERT_EQ(bytes.scan, nullptr);
  options.where = "id >= 0";  // every row, through the scan
  const BloomJobResult scanned = RunBloomJob(options, Run());
  ASSERT_NE(scanned.scan, nullptr);
  EXPECT_TRUE(scanned.file.filter == bytes.file.filter);
  EXPECT_EQ(scanned.rows, 4000);
  EXPECT_EQ(scanned.nulls, bytes.nulls);
  EXPECT_EQ(scanned.file.items, bytes.file.items);
}

TEST_F(BloomScanTest, OnlyTheRowsTheFilterPassesGoIn) {
  WriteCsv();
  BloomJobOptions options;
  options.inputs = {Path("t.csv")};
  options.column = "name";
  options.where = "n = 3 AND name LIKE 'n%'";
  const BloomJobResult r = RunBloomJob(options, Run());
  int64_t passing = 0;
  for (int row = 0; row < 4000; ++row) {
    if (row % 11 != 3 || row % 7 == 0 || row % 3 == 0) continue;
    ++passing;
    EXPECT_TRUE(r.file.filter.MightContain(SplitBlockBloomFilter::Hash("n" + std::to_string(row))));
  }
  EXPECT_EQ(r.rows, passing);
  EXPECT_EQ(r.file.items, passing);
  EXPECT_EQ(r.file.sizing, "counted");
  EXPECT_EQ(r.file.expected_items, passing);
  EXPECT_EQ(r.scan->filter_stats().rows_passed, passing);
  EXPECT_EQ(r.scan->filter_stats().rows_read, 4000);
  // Names of rows the filter drops are (but for false positives) absent.
  int64_t absent = 0;
  for (int row = 0; row < 4000; ++row) {
    if (row % 11 == 3 || row % 7 == 0 || row % 3 == 0) continue;
    absent += !r.file.filter.MightContain(SplitBlockBloomFilter::Hash("n" + std::to_string(row)));
  }
  EXPECT_GT(absent, 2000);
}

TEST_F(BloomScanTest, ParquetInputsSkipRowGroupsAndPagesTheFilterRulesOut) {
  // 3 row groups of 10,000 rows in small pages with a page index.
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"id", DataType::Int64()}, {"s", DataType::String()}, {"k", DataType::Int32()}});
  parquet::ParquetWriteOptions write;
  write.row_group_rows = 10000;
  write.page_index = true;
  write.column.page_size = 1024;
  auto writer = parquet::ParquetWriter::Open(Path("t.parquet"), schema, write);
  FixedWidthBuilder<int64_t> id;
  BinaryBuilder s;
  FixedWidthBuilder<int32_t> k;
  for (int64_t r = 0; r < 30000; ++r) {
    id.Append(r);
    r % 10 == 0 ? s.AppendNull() : s.Append("v" + std::to_string(r));
    k.Append(static_cast<int32_t>(r * 3));
  }
  writer->Write(RecordBatch::Make(schema, {id.Finish(), s.Finish(), k.Finish()}));
  writer->Close();

  BloomJobOptions options;
  options.inputs = {Path("*.parquet")};
  options.column = "s";
  options.where = "id >= 12000 AND id < 12500";
  BloomJobResult r = RunBloomJob(options, Run());
  EXPECT_EQ(r.rows, 500);
  EXPECT_EQ(r.nulls, 50);
  EXPECT_EQ(r.input_files, 1);
  for (int64_t row = 12001; row < 12500; row += 10) {
    EXPECT_TRUE(r.file.filter.MightContain(SplitBlockBloomFilter::Hash("v" + std::to_string(row))));
  }
  const ScanFilterStats stats = r.scan->filter_stats();
  EXPECT_EQ(stats.row_groups_skipped, 2);
  EXPECT_GT(stats.pages_skipped, 0);
  EXPECT_EQ(stats.rows_read, 10000 - stats.page_rows_skipped);
  EXPECT_LT(stats.rows_read, 3000);
  EXPECT_EQ(r.file.expected_items, stats.rows_read);  // sized for the rows the scan reads

  // An int32 column hashes its 4-byte values, as `bloom check` hashes the text.
  options.column = "k";
  options.where = "";
  r = RunBloomJob(options, Run());
  EXPECT_EQ(r.file.value_type, BloomValueType::kInt32);
  EXPECT_EQ(r.file.sizing, "estimated");
  EXPECT_EQ(r.file.expected_items, 30000);
  EXPECT_TRUE(r.file.filter.MightContain(*HashBloomValue(BloomValueType::kInt32, "36000")));
}

}  // namespace
}  // namespace sluice
