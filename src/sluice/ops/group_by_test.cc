#include "sluice/ops/group_by.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/group_by_partial.h"
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
  std::vector<std::string> WriteFiles(int files, int rows_per_file, uint64_t seed,
                                      int keys = 3000) {
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
          k.Append("key-" + std::to_string(rng() % static_cast<uint64_t>(keys)));
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
  options.run.memory_budget = 64_MiB;
  options.run.progress = ProgressMode::kOff;
  options.min_partitions = 5;
  GroupByResult result = RunGroupBy(*scan, spec, options);
  EXPECT_EQ(result.partitions, 5);
  EXPECT_EQ(result.spilled_rows, 0);
  EXPECT_EQ(result.tasks.size(), 5u);
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

std::multiset<std::string> SequentialRows(const Schema& schema, const GroupBySpec& spec,
                                          const std::vector<RecordBatch>& batches) {
  HashAggregation sequential(schema, spec);
  int64_t position = 0;
  for (const RecordBatch& b : batches) {
    sequential.Consume(b, position);
    position += b.num_rows();
  }
  return Rows({sequential.Finish()});
}

int64_t DataBytes(const std::vector<RecordBatch>& batches) {
  int64_t bytes = 0;
  for (const RecordBatch& b : batches) bytes += ByteSize(b);
  return bytes;
}

// The output goes to the sink as merge tasks finish, in batches of at most output_batch_rows,
// one call at a time (the sink need not be thread-safe), in whatever order the tasks finish:
// together the batches are the result, spilled or not.
TEST_F(GroupByTest, OutputStreamsToTheSinkInBoundedBatchesOneAtATime) {
  const std::vector<std::string> paths = WriteFiles(4, 20000, 13, 50000);
  GroupBySpec spec;
  spec.keys = {"k", "g"};
  spec.aggregates = ParseAggregateCalls("count(*), sum(v), median(x), first(v), last(x)");
  auto scan = TableScan::Open(paths);
  for (int64_t budget : {int64_t{64_MiB}, DataBytes(all_) / 20}) {
    SCOPED_TRACE(budget);
    GroupByOptions options;
    options.run.cpu_threads = 3;
    options.run.memory_budget = budget;
    options.min_partitions = 6;
    options.output_batch_rows = 1000;
    options.spill_dir = (dir_ / "spill").string();
    std::atomic<int> in_sink{0};
    std::atomic<bool> overlapped{false};
    std::vector<RecordBatch> got;
    GroupByResult result = RunGroupBy(*scan, spec, options, [&](RecordBatch b) {
      if (in_sink.fetch_add(1) != 0) overlapped = true;
      EXPECT_LE(b.num_rows(), 1000);
      EXPECT_GT(b.num_rows(), 0);
      EXPECT_EQ(b.schema().num_fields(), 7);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      got.push_back(std::move(b));
      in_sink.fetch_sub(1);
    });
    EXPECT_FALSE(overlapped);
    EXPECT_TRUE(result.batches.empty());
    EXPECT_GT(got.size(), result.tasks.size());  // tasks hand on several batches each
    int64_t rows = 0;
    for (const RecordBatch& b : got) rows += b.num_rows();
    EXPECT_EQ(rows, result.groups);
    EXPECT_EQ(*result.schema, *GroupByOutputSchema(*scan->schema(), spec));
    EXPECT_EQ(Rows(got), SequentialRows(*schema_, spec, all_));
  }
}

// Spilled and passed-on rows carry only the columns the query reads (and positions when the
// result depends on them).
TEST_F(GroupByTest, RunsCarryOnlyTheColumnsTheQueryReads) {
  WriteFiles(1, 10, 3);
  GroupBySpec spec;
  spec.keys = {"g"};
  spec.aggregates = ParseAggregateCalls("sum(v)");
  HashAggregation prototype(*schema_, spec);
  GroupBySpill plain(*schema_, spec, prototype, 1 << 20, 16, 1 << 16, 1 << 17, "");
  ASSERT_EQ(plain.spill_schema()->num_fields(), 2);
  EXPECT_EQ(plain.spill_schema()->field(0).name, "g");
  EXPECT_EQ(plain.spill_schema()->field(1).name, "v");
  EXPECT_EQ(plain.Project(all_[0]).num_columns(), 2);

  spec.aggregates = ParseAggregateCalls("first(x), count(*)");
  HashAggregation ordered(*schema_, spec);
  GroupBySpill with_positions(*schema_, spec, ordered, 1 << 20, 16, 1 << 16, 1 << 17, "");
  ASSERT_EQ(with_positions.spill_schema()->num_fields(), 3);
  EXPECT_EQ(with_positions.spill_schema()->field(1).name, "x");
  EXPECT_EQ(with_positions.spill_schema()->field(2).name, "__sluice_position");
}

// Without group keys a state that outgrows the budget (median keeps every value) spills its
// rows too, into one partition, and the one result row is unchanged.
TEST_F(GroupByTest, NoKeysSpillsIntoOnePartition) {
  const std::vector<std::string> paths = WriteFiles(4, 20000, 8);
  GroupBySpec spec;
  spec.aggregates = ParseAggregateCalls("median(x), count(*), last(v)");
  auto scan = TableScan::Open(paths);
  GroupByOptions options;
  options.run.cpu_threads = 2;
  options.run.memory_budget = DataBytes(all_) / 20;
  options.run.progress = ProgressMode::kOff;
  options.spill_dir = (dir_ / "spill").string();
  GroupByResult result = RunGroupBy(*scan, spec, options);
  EXPECT_GT(result.spilled_rows, 0);
  EXPECT_EQ(result.groups, 1);
  EXPECT_EQ(Rows(result.batches), SequentialRows(*schema_, spec, all_));
}

// One thread whose partial keeps every group (nothing passed on): its state is the result as it
// is, handed on in bounded batches without a merge, whatever the partition count.
TEST_F(GroupByTest, OnePartialHoldingEveryGroupIsTheResultWithoutAMerge) {
  const std::vector<std::string> paths = WriteFiles(3, 10000, 17, 10'000'000);
  GroupBySpec spec;
  spec.keys = {"k", "g"};
  spec.aggregates = ParseAggregateCalls("count(*), sum(v), mean(x), first(v), last(x)");
  auto scan = TableScan::Open(paths);
  GroupByOptions options;
  options.run.cpu_threads = 1;
  options.run.memory_budget = 256_MiB;
  options.run.progress = ProgressMode::kOff;
  options.partition_first_groups = std::numeric_limits<int64_t>::max();
  options.min_partitions = 4;
  options.output_batch_rows = 1000;
  GroupByResult result = RunGroupBy(*scan, spec, options);
  EXPECT_EQ(result.partitioned_rows, 0);
  EXPECT_EQ(result.spilled_rows, 0);
  EXPECT_EQ(result.partitions, 4);
  ASSERT_EQ(result.tasks.size(), 1u);
  EXPECT_EQ(result.tasks[0].groups, result.groups);
  EXPECT_TRUE(result.merge_report.stages.empty()) << "no merge pipeline ran";
  EXPECT_GT(result.groups, 25000);
  for (const RecordBatch& b : result.batches) EXPECT_LE(b.num_rows(), 1000);
  EXPECT_EQ(Rows(result.batches), SequentialRows(*schema_, spec, all_));

  // Rows passed on by partition (a small table) take the merge as before, with the same result.
  options.partition_first_groups = 2000;
  GroupByResult merged = RunGroupBy(*scan, spec, options);
  EXPECT_GT(merged.partitioned_rows, 0);
  EXPECT_FALSE(merged.merge_report.stages.empty());
  EXPECT_EQ(Rows(merged.batches), Rows(result.batches));
}

// Nearly every key unique: the partials stop growing their tables and pass rows on by partition
// in memory (nothing goes to disk), and the result, first and last included, is unchanged.
TEST_F(GroupByTest, HighCardinalityPartitionsRowsFirstInMemory) {
  const std::vector<std::string> paths = WriteFiles(4, 12000, 5, 10'000'000);
  GroupBySpec spec;
  spec.keys = {"k", "g"};
  spec.aggregates =
      ParseAggregateCalls("count(*), sum(v), median(x), count_distinct(v), first(v), last(x)");
  auto scan = TableScan::Open(paths);
  GroupByOptions options;
  options.run.cpu_threads = 2;
  options.run.memory_budget = 256_MiB;
  options.run.progress = ProgressMode::kOff;
  options.partition_first_groups = 2000;
  GroupByResult result = RunGroupBy(*scan, spec, options);
  EXPECT_GT(result.partitioned_rows, 24000);  // of 48000, once each table has 2000 groups
  EXPECT_EQ(result.spilled_rows, 0);
  EXPECT_EQ(result.spill_runs, 0);
  EXPECT_GT(result.spill_partitions, 0);
  int64_t task_partitioned = 0;
  for (const auto& t : result.tasks) task_partitioned += t.partitioned_rows;
  EXPECT_EQ(task_partitioned, result.partitioned_rows);
  EXPECT_GT(result.groups, 40000);
  EXPECT_EQ(Rows(result.batches), SequentialRows(*schema_, spec, all_));

  // The same with a budget too small to hold what is passed on: it goes to disk instead.
  options.run.memory_budget = DataBytes(all_) / 20;
  options.spill_dir = (dir_ / "spill").string();
  GroupByResult spilled = RunGroupBy(*scan, spec, options);
  EXPECT_GT(spilled.spilled_rows, 0);
  EXPECT_EQ(Rows(spilled.batches), SequentialRows(*schema_, spec, all_));
  EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
}

// A budget 20x smaller than the data: partials freeze, spill, and the result does not change.
TEST_F(GroupByTest, BudgetTwentyTimesSmallerThanTheDataSpillsAndGivesTheSameResult) {
  const std::vector<std::string> paths = WriteFiles(4, 40000, 5, 100000);
  for (const char* aggregates :
       {"count(*), sum(v), max(x), mean(x)", "count(*), first(v), last(x), median(x)"}) {
    SCOPED_TRACE(aggregates);
    GroupBySpec spec;
    spec.keys = {"k", "g"};
    spec.aggregates = ParseAggregateCalls(aggregates);
    auto scan = TableScan::Open(paths);
    GroupByOptions options;
    options.run.cpu_threads = 2;
    options.run.memory_budget = DataBytes(all_) / 20;
    options.spill_dir = (dir_ / "spill").string();
    options.max_partitions = 64;
    GroupByResult result = RunGroupBy(*scan, spec, options);
    EXPECT_GT(result.spilled_rows, 0);
    EXPECT_GT(result.spill_runs, 0);
    EXPECT_GT(result.spill_partitions, 0);
    EXPECT_EQ(result.partitions % result.spill_partitions, 0);
    EXPECT_LE(result.tasks.size(), 64u);
    int64_t task_spilled = 0;
    for (const auto& t : result.tasks) task_spilled += t.spilled_rows;
    EXPECT_EQ(task_spilled, result.spilled_rows);
    EXPECT_EQ(Rows(result.batches), SequentialRows(*schema_, spec, all_));
    EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
  }
}

// One key holds most rows of a spilled partition: its rows are pre-aggregated in pieces.
TEST_F(GroupByTest, SkewedSpillPartitionIsSplitIntoPiecesWithoutChangingTheResult) {
  const std::vector<std::string> paths = WriteFiles(4, 50000, 9, 100000);
  GroupBySpec spec;
  spec.keys = {"k"};
  spec.aggregates = ParseAggregateCalls("count(*), sum(v), median(x)");
  auto scan = TableScan::Open(paths);
  GroupByOptions options;
  options.run.cpu_threads = 2;
  options.run.memory_budget = DataBytes(all_) / 20;
  options.spill_dir = (dir_ / "spill").string();
  options.skew_threshold_bytes = 0;
  options.skew_factor = 1.5;  // random partitions vary; this flags the larger ones
  GroupByResult result = RunGroupBy(*scan, spec, options);
  ASSERT_GT(result.spilled_rows, 0);
  int skewed = 0;
  for (const auto& t : result.tasks) {
    if (t.skewed) {
      ++skewed;
      EXPECT_GE(t.pieces, 1);
    }
  }
  EXPECT_GT(skewed, 0);
  EXPECT_EQ(Rows(result.batches), SequentialRows(*schema_, spec, all_));
}

// A user aggregate that fails in the merge, and one that cancels the run: no spill file is left.
class FailingAggregator final : public Aggregator {
 public:
  explicit FailingAggregator(CancellationSource* cancel) : cancel_(cancel) {}
  DataType output_type() const override { return DataType::Int64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<FailingAggregator>(cancel_);
  }
  void Resize(int64_t) override {}
  void Update(std::span<const Array* const>, std::span<const uint32_t>, RowPositions) override {
    if (cancel_ != nullptr && ++updates_ > 40) cancel_->Cancel("test cancels");
  }
  void Merge(const Aggregator&, std::span<const uint32_t>, std::span<const uint32_t>) override {}
  Array Finish() override { throw InvalidData("finish fails"); }
  int64_t ByteSize() const override { return 0; }

 private:
  CancellationSource* cancel_;
  int updates_ = 0;
};

TEST_F(GroupByTest, SpillFilesAreGoneAfterFailureAndCancellation) {
  const std::vector<std::string> paths = WriteFiles(4, 50000, 3, 100000);
  for (bool cancel : {false, true}) {
    SCOPED_TRACE(cancel ? "cancelled" : "failed");
    CancellationSource source;
    GroupBySpec spec;
    spec.keys = {"k", "g"};
    spec.aggregates = ParseAggregateCalls("sum(v), fail(v)");
    spec.user_functions.emplace_back("fail", [&](std::span<const DataType>) {
      return std::make_unique<FailingAggregator>(cancel ? &source : nullptr);
    });
    auto scan = TableScan::Open(paths);
    GroupByOptions options;
    options.run.cpu_threads = 2;
    options.run.memory_budget = DataBytes(all_) / 20;
    options.run.cancel = source.token();
    options.spill_dir = (dir_ / "spill").string();
    try {
      RunGroupBy(*scan, spec, options);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), cancel ? ErrorKind::kCancelled : ErrorKind::kInvalidData) << e.what();
    }
    EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
  }
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
