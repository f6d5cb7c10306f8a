#include "sluice/ops/sort/parallel_parquet_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::vector<RecordBatch> Batches(int batches, int rows) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"k", DataType::Int64()}, {"s", DataType::String()}, {"d", DataType::Float64()}});
  std::mt19937_64 rng(7);
  std::vector<RecordBatch> out;
  for (int b = 0; b < batches; ++b) {
    Int64Builder k;
    StringBuilder s;
    Float64Builder d;
    for (int r = 0; r < rows; ++r) {
      if (rng() % 10 == 0) {
        k.AppendNull();
      } else {
        k.Append(static_cast<int64_t>(rng() % 1000));
      }
      s.Append("v" + std::to_string(rng() % (b % 2 == 0 ? 30 : 100000)));
      d.Append(static_cast<double>(rng() % 100000) / 7);
    }
    out.push_back(RecordBatch::Make(schema, {k.Finish(), s.Finish(), d.Finish()}));
  }
  return out;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ParallelParquetWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("sluice_parallel_writer_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ParallelParquetWriterTest, WritesTheSameFileAsParquetWriter) {
  const std::vector<RecordBatch> input = Batches(30, 777);
  for (int threads : {1, 3}) {
    SCOPED_TRACE(threads);
    parquet::ParquetWriteOptions options;
    options.sync = false;
    options.row_group_rows = 2000;  // many row groups, split inside batches
    // The parallel writer closes row groups at half the bytes; give both the same rule by rows.
    options.row_group_bytes = int64_t{1} << 40;
    const fs::path expected = dir_ / "expected.parquet";
    const fs::path actual = dir_ / "actual.parquet";
    parquet::WriteParquetFile(expected.string(), input[0].shared_schema(), input, options);
    auto writer =
        ParallelParquetWriter::Open(actual.string(), input[0].shared_schema(), options, threads);
    for (const RecordBatch& b : input) writer->Write(b);
    writer->Close();
    EXPECT_EQ(ReadBytes(actual), ReadBytes(expected));
  }
}

TEST_F(ParallelParquetWriterTest, AFailureOrNoCloseLeavesNoFile) {
  const std::vector<RecordBatch> input = Batches(2, 100);
  const fs::path path = dir_ / "out.parquet";
  {
    auto writer = ParallelParquetWriter::Open(path.string(), input[0].shared_schema(), {}, 2);
    writer->Write(input[0]);
    auto other = std::make_shared<const Schema>(std::vector<Field>{{"x", DataType::Int64()}});
    Int64Builder x;
    x.Append(1);
    EXPECT_THROW(writer->Write(RecordBatch::Make(other, {x.Finish()})), Error);
  }
  EXPECT_TRUE(fs::is_empty(dir_));
  parquet::ParquetWriteOptions with_index;
  with_index.page_index = true;
  EXPECT_THROW(ParallelParquetWriter::Open(path.string(), input[0].shared_schema(), with_index, 2),
               Error);
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace sluice
