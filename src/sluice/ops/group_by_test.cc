#include "sluice/ops/group_by.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class GroupByTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_group_by_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `files` files of random rows with several row groups each; returns their paths.
  std::vector<std::string> WriteFiles(int files, int rows_per_file, uint64_t seed) {
    schema_ = std::make_shared<const Schema>(std::vector<Field>{{"k", DataType::String()},
                                                                {"g", DataType::Int32()},
                                                                {"v", DataType::Int64()},
                                                                {"x", DataType::Float64()}});
    std::mt19937_64 rng(seed);
    std::vector<std::string> paths;
    for (int f = 0; f < files; ++f) {
      StringBuilder k;
      Int32Builder g;
      Int64Builder v;
      Float64Builder x;
      for (int r = 0; r < rows_per_file; ++r) {
        if (rng() % 13 == 0) {
          k.AppendNull();
        } else {
          k.Append("key-" + std::to_string(rng() % 3000));
        }
        g.Append(static_cast<int32_t>(rng() % 7));
        if (rng() % 9 == 0) {
          v.AppendNull();
        } else {
          v.Append(static_cast<int64_t>(rng() % 1000));
        }
        x.Append(static_cast<double>(rng() % 10000) / 8);
      }
      RecordBatch batch =
          RecordBatch::Make(schema_, {k.Finish(), g.Finish(), v.Finish(), x.Finish()});
      all_.push_back(batch);
      parquet::ParquetWriteOptions options;
      options.row_group_rows = 2500;
      paths.push_back((dir_ / ("part-" + std::to_string(f) + ".parquet")).string());
      parquet::WriteParquetFile(paths.back(), schema_, {batch}, options);
    }
    return paths;
  }

  fs::path dir_;
  std::shared_ptr<const Schema> schema_;
  std::vector<RecordBatch> all_;  // every file's rows, in stream order
};

// Each row as text, so results compare as multisets whatever the partition order.
std::multiset<std::string> Rows(const std::vector<RecordBatch>& batches) {
  std::multiset<std::string> rows;
  for (const RecordBatch& b : batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::string row;
      for (int c = 0; c < b.num_columns(); ++c) {
        const Array& a = b.column(c);
        row += "|";
        if (a.IsNull(r)) {
          row += "null";
        } else if (a.type().id() == TypeId::kString) {
          row += a.BinaryValue(r);
        } else if (a.type().id() == TypeId::kInt32) {
          row += std::to_string(a.Value<int32_t>(r));
        } else if (a.type().id() == TypeId::kInt64) {
          row += std::to_string(a.Value<int64_t>(r));
        } else {
          // Partial sums add in another order: compare doubles to 9 significant digits.
          char text[32];
          std::snprintf(text, sizeof text, "%.9g", a.Value<double>(r));
          row += text;
        }
      }
      rows.insert(row);
    }
  }
  return rows;
}

TEST_F(GroupByTest, ParallelPartitionedResultEqualsOneSequentialState) {
  const std::vector<std::string> paths = WriteFiles(4, 12000, 11);
  GroupBySpec spec;
  spec.keys = {"k", "g"};
  spec.aggregates = ParseAggregateCalls(
      "count(*), sum(v), min(v), max(x), mean(x), count_distinct(v), first(v), last(x)");
  auto scan = TableScan::Open(paths);
  EXPECT_EQ(scan->num_rows(), 48000);
  EXPECT_EQ(scan->units().size(), 4u * 5u);

  GroupByOptions options;
  options.run.cpu_threads = 3;
  options.run.memory_budget = 8_MiB;
  options.run.progress = ProgressMode::kOff;
  options.min_partitions = 5;
  GroupByResult result = RunGroupBy(*scan, spec, options);
  EXPECT_EQ(result.partitions, 5);
  EXPECT_EQ(result.input_rows, 48000);

  HashAggregation sequential(*schema_, spec);
  int64_t position = 0;
  for (const RecordBatch& b : all_) {
    sequential.Consume(b, position);
    position += b.num_rows();
  }
  const std::vector<RecordBatch> want = {sequential.Finish()};
  EXPECT_EQ(result.groups, want[0].num_rows());
  EXPECT_GT(result.groups, 15000);
  EXPECT_EQ(Rows(result.batches), Rows(want));
}

TEST_F(GroupByTest, FilesWithDifferentSchemasAreNamed) {
  std::vector<std::string> paths = WriteFiles(1, 100, 1);
  auto other = std::make_shared<const Schema>(std::vector<Field>{{"k", DataType::Int64()}});
  Int64Builder b;
  b.Append(1);
  paths.push_back((dir_ / "other.parquet").string());
  parquet::WriteParquetFile(paths.back(), other, {RecordBatch::Make(other, {b.Finish()})});
  try {
    TableScan::Open(paths);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_NE(std::string(e.what()).find("other.parquet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("part-0.parquet"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice
