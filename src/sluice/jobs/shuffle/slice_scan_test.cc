#include "sluice/jobs/shuffle/slice_scan.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice::shuffle {
namespace {

namespace fs = std::filesystem;

class SliceScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sluice-slice-scan-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file of `groups` row groups of 100 rows; row group g holds values 1000 * first + 100 * g + r.
  std::string WriteFile(const std::string& name, int groups, int first = 0) {
    auto schema = std::make_shared<const Schema>(std::vector<Field>{{"v", DataType::Int64()}});
    const std::string path = (dir_ / name).string();
    parquet::ParquetWriteOptions options;
    options.codec = parquet::CompressionCodec::kUncompressed;
    auto writer = parquet::ParquetWriter::Open(path, schema, options);
    for (int g = 0; g < groups; ++g) {
      Int64Builder v;
      for (int r = 0; r < 100; ++r) v.Append(1000 * first + 100 * g + r);
      writer->Write(RecordBatch::Make(schema, {v.Finish()}, 100));
      writer->EndRowGroup();
    }
    writer->Close();
    return path;
  }

  // The first value of every 100 rows the scan yields, unit by unit.
  static std::vector<int64_t> GroupStarts(const TableScan& scan) {
    std::vector<int64_t> starts;
    for (const ScanUnit& unit : scan.units()) {
      for (const RecordBatch& b : scan.Read(unit)) {
        for (int64_t r = 0; r < b.num_rows(); r += 100) {
          starts.push_back(b.column(0).Value<int64_t>(r));
        }
      }
    }
    return starts;
  }

  static std::shared_ptr<MemoryGate> Gate(int64_t limit = int64_t{1} << 30) {
    return std::make_shared<MemoryGate>(limit);
  }

  fs::path dir_;
};

TEST_F(SliceScanTest, AdjacentRowGroupsAreOneUnitAndOrderHolds) {
  const std::string a = WriteFile("a.parquet", 6);
  const std::string b = WriteFile("b.parquet", 3, 1);
  auto scan = OpenSlices({a, b}, {{1, 2, 4, 5}, {0, 1, 2}}, int64_t{1} << 20, Gate());
  // a: row groups 1-2 and 4-5 (3 lies between), b: 0-2.
  ASSERT_EQ(scan->units().size(), 3u);
  EXPECT_EQ(scan->units()[0].rows, 200);
  EXPECT_EQ(scan->num_rows(), 700);
  EXPECT_EQ(GroupStarts(*scan), (std::vector<int64_t>{100, 200, 400, 500, 1000, 1100, 1200}));
}

TEST_F(SliceScanTest, UnitsAreCutAtTheirBytes) {
  const std::string a = WriteFile("a.parquet", 4);
  auto scan = OpenSlices({a}, {{0, 1, 2, 3}}, 1, Gate());  // every row group is more than a byte
  EXPECT_EQ(scan->units().size(), 4u);
  EXPECT_EQ(GroupStarts(*scan), (std::vector<int64_t>{0, 100, 200, 300}));
}

TEST_F(SliceScanTest, NoRowGroupsOfAFileAndABadRowGroup) {
  const std::string a = WriteFile("a.parquet", 2);
  const std::string b = WriteFile("b.parquet", 2, 1);
  auto scan = OpenSlices({a, b}, {{}, {1}}, int64_t{1} << 20, Gate());
  EXPECT_EQ(GroupStarts(*scan), (std::vector<int64_t>{1100}));
  EXPECT_THROW(OpenSlices({a}, {{2}}, int64_t{1} << 20, Gate()), Error);
}

TEST_F(SliceScanTest, AUnitsFetchedBytesAreHeldInTheGateWhileItIsRead) {
  const std::string a = WriteFile("a.parquet", 4);
  auto gate = Gate();
  auto scan = OpenSlices({a}, {{0, 1}}, int64_t{1} << 20, gate);
  ASSERT_EQ(scan->units().size(), 1u);
  EXPECT_EQ(gate->peak(), 0);
  EXPECT_EQ(GroupStarts(*scan), (std::vector<int64_t>{0, 100}));
  // The two row groups' column chunks were fetched at once and held, and given back.
  EXPECT_GT(gate->peak(), 0);
  EXPECT_LT(gate->peak(), static_cast<int64_t>(fs::file_size(a)));
  EXPECT_EQ(gate->used(), 0);

  // A gate smaller than a unit lets it through alone (counted as an overdraft) instead of
  // waiting forever.
  auto small = Gate(1);
  auto tight = OpenSlices({a}, {{0, 1, 2, 3}}, int64_t{1} << 20, small);
  EXPECT_EQ(GroupStarts(*tight), (std::vector<int64_t>{0, 100, 200, 300}));
  EXPECT_EQ(small->overdrafts(), 1);
  EXPECT_EQ(small->used(), 0);
}

// A scan that decodes some columns only (a top-N's ranking pass): the same units, their columns.
TEST_F(SliceScanTest, AProjectionDecodesItsColumnsOfTheSameUnits) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"v", DataType::Int64()}, {"w", DataType::String()}});
  const std::string path = (dir_ / "vw.parquet").string();
  auto writer = parquet::ParquetWriter::Open(path, schema, parquet::ParquetWriteOptions{});
  for (int g = 0; g < 3; ++g) {
    Int64Builder v;
    StringBuilder w;
    for (int r = 0; r < 10; ++r) {
      v.Append(10 * g + r);
      w.Append("w" + std::to_string(10 * g + r));
    }
    writer->Write(RecordBatch::Make(schema, {v.Finish(), w.Finish()}, 10));
    writer->EndRowGroup();
  }
  writer->Close();
  auto all = OpenSlices({path}, {{0, 2}}, 1, Gate());
  auto projected = OpenSlices({path}, {{0, 2}}, 1, Gate(), {"w"});
  ASSERT_EQ(projected->schema()->num_fields(), 1);
  EXPECT_EQ(projected->schema()->field(0).name, "w");
  ASSERT_EQ(projected->units().size(), all->units().size());
  std::vector<std::string> values;
  for (const ScanUnit& unit : projected->units()) {
    for (const RecordBatch& b : projected->Read(unit)) {
      ASSERT_EQ(b.num_columns(), 1);
      for (int64_t r = 0; r < b.num_rows(); ++r) values.emplace_back(b.column(0).BinaryValue(r));
    }
  }
  ASSERT_EQ(values.size(), 20u);
  EXPECT_EQ(values.front(), "w0");
  EXPECT_EQ(values[10], "w20");
}

}  // namespace
}  // namespace sluice::shuffle
