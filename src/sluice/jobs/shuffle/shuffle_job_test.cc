#include "sluice/jobs/shuffle/shuffle_job.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/shuffle/map_output.h"
#include "sluice/jobs/shuffle/map_side_combine.h"
#include "sluice/jobs/shuffle/shuffle_plan.h"
#include "sluice/jobs/shuffle/shuffle_tasks.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"
#include "sluice/jobs/testing/two_at_once.h"
#include "sluice/ops/distinct.h"
#include "sluice/ops/group_by.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/top_n.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"

namespace sluice::shuffle {
namespace {

namespace fs = std::filesystem;

class ShuffleJobTest : public jobs::SqliteLedgerFixture {
 protected:
  // Random rows (k: string with nulls, g: int32, v: int64 with nulls), a few row groups a file.
  std::vector<std::string> WriteFiles(int files, int rows, int keys) {
    auto schema = std::make_shared<const Schema>(std::vector<Field>{
        {"k", DataType::String()}, {"g", DataType::Int32()}, {"v", DataType::Int64()}});
    std::mt19937_64 rng(7);
    std::vector<std::string> paths;
    for (int f = 0; f < files; ++f) {
      StringBuilder k;
      Int32Builder g;
      Int64Builder v;
      for (int r = 0; r < rows; ++r) {
        if (rng() % 11 == 0) {
          k.AppendNull();
        } else {
          k.Append("key-" + std::to_string(rng() % static_cast<uint64_t>(keys)));
        }
        g.Append(static_cast<int32_t>(rng() % 3));
        if (rng() % 9 == 0) {
          v.AppendNull();
        } else {
          v.Append(static_cast<int64_t>(rng() % 1000));
        }
      }
      parquet::ParquetWriteOptions options;
      options.row_group_rows = rows / 3;
      paths.push_back((dir_ / ("in-" + std::to_string(f) + ".parquet")).string());
      parquet::WriteParquetFile(paths.back(), schema,
                                {RecordBatch::Make(schema, {k.Finish(), g.Finish(), v.Finish()})},
                                options);
    }
    return paths;
  }

  // Rows of k (string), g (int32), v (int64) where `hot` of every 10 rows have the key
  // ("hot", 0) and the others one of `keys` keys.
  std::vector<std::string> WriteSkewedFiles(const std::string& name, int files, int rows, int keys,
                                            int hot) {
    auto schema = std::make_shared<const Schema>(std::vector<Field>{
        {"k", DataType::String()}, {"g", DataType::Int32()}, {"v", DataType::Int64()}});
    std::mt19937_64 rng(11);
    std::vector<std::string> paths;
    for (int f = 0; f < files; ++f) {
      StringBuilder k;
      Int32Builder g;
      Int64Builder v;
      for (int r = 0; r < rows; ++r) {
        const bool is_hot = static_cast<int>(rng() % 10) < hot;
        k.Append(is_hot ? std::string("hot") : "key-" + std::to_string(rng() % uint64_t(keys)));
        g.Append(is_hot ? 0 : static_cast<int32_t>(rng() % 3));
        v.Append(static_cast<int64_t>(rng() % 1000));
      }
      paths.push_back((dir_ / (name + "-" + std::to_string(f) + ".parquet")).string());
      parquet::WriteParquetFile(paths.back(), schema,
                                {RecordBatch::Make(schema, {k.Finish(), g.Finish(), v.Finish()})});
    }
    return paths;
  }

  ShuffleSpec Spec(std::string_view kind, const std::vector<std::string>& inputs) {
    ShuffleSpec spec;
    spec.kind = kind;
    ResolveShuffleInputs(inputs, spec);
    spec.output = (dir_ / "out.parquet").string();
    spec.work_dir = ShuffleSpec::DefaultWorkDir(spec.output);
    spec.map_bytes = 1;  // a map partition per file
    spec.partitions = 16;
    spec.min_reducers = 3;
    spec.advisory_bytes = 1;
    return spec;
  }

  // Two workers of two slots each, as two hosts would run them.
  std::vector<JoinedShuffle> RunTwoWorkers(const std::string& job) {
    jobs::WorkerOptions worker;
    worker.slots = 2;
    worker.max_idle_poll = std::chrono::milliseconds(20);
    worker.backoff_base = std::chrono::milliseconds(20);
    RunOptions run;
    run.memory_budget = 64 << 20;
    run.cpu_threads = 2;
    return jobs::TwoAtOnce([&] { return JoinShuffle(url_, job, worker, run); });
  }

  // Runs the job's map stage in one worker and plans its reduce stage, then stops at the first
  // reduce task it claims (given back unrun): the map outputs are published, the reduce pending.
  // Without plan_reduce it stops at the barrier, before planning. With stop_stage the gather, it
  // runs the reduce stage too.
  void RunMapStage(const ShuffleSpec& spec, const std::string& job, bool plan_reduce = true,
                   std::string_view stop_stage = kReduceStage) {
    auto ledger = ledger::OpenLedger(url_);
    const ledger::JobId id = ledger->FindJob(job)->id;
    const auto committer = jobs::MakeOutputCommitter(spec.work_dir);
    const jobs::StagePlan plan = ShuffleStagePlan(spec, kShuffleAttempts, *committer);
    jobs::WorkerOptions worker;
    worker.output_root = spec.work_dir;
    worker.max_idle_poll = std::chrono::milliseconds(20);
    CancellationSource stop;
    worker.on_idle = [&](ledger::Ledger& l, ledger::JobId j) {
      if (!plan_reduce) stop.Cancel("at the barrier");
      if (plan_reduce) AdvanceStages(l, j, plan);
    };
    RunOptions run;
    run.memory_budget = 64 << 20;
    const auto task = [&](const jobs::TaskContext& context) {
      if (jobs::StageOfKey(context.lease.key) == stop_stage) {
        stop.Cancel("the stages before are done");
        return;
      }
      RunShuffleTask(spec, context, run);
    };
    EXPECT_THROW(jobs::RunWorker(url_, id, task, worker, stop.token()), Error);
  }

  ledger::PartitionRecord Partition(const std::string& job, std::string_view key) {
    auto ledger = ledger::OpenLedger(url_);
    for (const ledger::PartitionRecord& p :
         jobs::AllPartitions(*ledger, ledger->FindJob(job)->id)) {
      if (p.key == key) return p;
    }
    ADD_FAILURE() << "no partition " << key;
    return {};
  }

  static std::multiset<std::string> Rows(const std::string& path) {
    auto scan = TableScan::Open({path});
    std::vector<RecordBatch> batches;
    for (const ScanUnit& unit : scan->units()) {
      for (RecordBatch& b : scan->Read(unit)) batches.push_back(std::move(b));
    }
    return Rows(batches);
  }
  static std::multiset<std::string> Rows(const std::vector<RecordBatch>& batches) {
    std::multiset<std::string> rows;
    for (const RecordBatch& b : batches) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        std::string row;
        for (int c = 0; c < b.num_columns(); ++c) row += "|" + FormatValue(b.column(c), r);
        rows.insert(row);
      }
    }
    return rows;
  }

  // Each row as Rows() formats it, in the file's order.
  static std::vector<std::string> OrderedRows(const std::string& path) {
    auto scan = TableScan::Open({path});
    std::vector<std::string> rows;
    for (const ScanUnit& unit : scan->units()) {
      for (const RecordBatch& b : scan->Read(unit)) AppendOrderedRows(b, rows);
    }
    return rows;
  }
  static void AppendOrderedRows(const RecordBatch& b, std::vector<std::string>& rows) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::string row;
      for (int c = 0; c < b.num_columns(); ++c) row += "|" + FormatValue(b.column(c), r);
      rows.push_back(std::move(row));
    }
  }
  // Rows by their group (column `group`), each group's rows in order; a group whose rows are not
  // adjacent gets the row "not adjacent".
  static std::map<std::string, std::vector<std::string>> Groups(
      const std::vector<RecordBatch>& batches, const std::string& group) {
    std::map<std::string, std::vector<std::string>> groups;
    std::string last;
    for (const RecordBatch& b : batches) {
      std::vector<std::string> rows;
      AppendOrderedRows(b, rows);
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        const std::string key = FormatValue(b.column(group), r);
        std::vector<std::string>& mine = groups[key];
        if (!mine.empty() && key != last) mine.push_back("not adjacent");
        mine.push_back(rows[static_cast<size_t>(r)]);
        last = key;
      }
    }
    return groups;
  }
  static std::vector<RecordBatch> Batches(const std::string& path) {
    auto scan = TableScan::Open({path});
    std::vector<RecordBatch> batches;
    for (const ScanUnit& unit : scan->units()) {
      for (RecordBatch& b : scan->Read(unit)) batches.push_back(std::move(b));
    }
    return batches;
  }
};

TEST_F(ShuffleJobTest, GroupByAcrossWorkersEqualsOneProcess) {
  const std::vector<std::string> inputs = WriteFiles(5, 6000, 2000);
  ShuffleSpec spec = Spec(kGroupByJobKind, inputs);
  spec.keys = {"k", "g"};
  spec.aggregates = "count(*), sum(v), max(v), first(v), median(v)";
  const SubmittedShuffle submitted = SubmitShuffle(url_, spec);
  EXPECT_EQ(submitted.map_partitions, 5);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(submitted.job_name);
  for (const JoinedShuffle& j : joined) {
    EXPECT_EQ(j.status, ledger::JobStatus::kDone);
    EXPECT_TRUE(j.errors.empty());
  }
  // advisory_bytes 1: no slices coalesce, so each of the 16 is a reduce task.
  EXPECT_EQ(joined[0].stats.completed + joined[1].stats.completed, 5 + 16 + 1);
  GroupBySpec group_by{.keys = spec.keys, .aggregates = ParseAggregateCalls(spec.aggregates)};
  const GroupByResult local = RunGroupBy(*TableScan::Open(inputs), group_by, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
  EXPECT_FALSE(fs::exists(spec.work_dir));
}

// count, sum, min, max and mean combine on the map side: the same rows as one process, with and
// without keys (one group: every partial row goes to one reduce task).
TEST_F(ShuffleJobTest, CombinedGroupByEqualsOneProcess) {
  const std::vector<std::string> inputs = WriteFiles(4, 6000, 500);
  for (const std::vector<std::string>& keys :
       {std::vector<std::string>{"k", "g"}, std::vector<std::string>{}}) {
    ShuffleSpec spec = Spec(kGroupByJobKind, inputs);
    spec.keys = keys;
    spec.aggregates = "count(*) as n, count(v), sum(v), min(v), max(k), mean(v) as m, avg(g)";
    spec.output = (dir_ / ("out" + std::to_string(keys.size()) + ".parquet")).string();
    spec.work_dir = ShuffleSpec::DefaultWorkDir(spec.output);
    RunTwoWorkers(SubmitShuffle(url_, spec).job_name);
    GroupBySpec group_by{.keys = spec.keys, .aggregates = ParseAggregateCalls(spec.aggregates)};
    const GroupByResult local = RunGroupBy(*TableScan::Open(inputs), group_by, GroupByOptions{});
    EXPECT_EQ(Rows(spec.output), Rows(local.batches)) << keys.size() << " keys";
  }
}

// Keys that barely repeat: map tasks ship each row as a partial row of its own instead of
// aggregating, and the result is the same.
TEST_F(ShuffleJobTest, CombinedGroupByOfMostlyDistinctKeysEqualsOneProcess) {
  const std::vector<std::string> inputs = WriteFiles(3, 6000, 1'000'000);
  ShuffleSpec spec = Spec(kGroupByJobKind, inputs);
  spec.keys = {"k", "g"};
  spec.aggregates = "count(*) as n, count(v), sum(v), sum(g), min(v), max(k), mean(v) as m";
  RunTwoWorkers(SubmitShuffle(url_, spec).job_name);
  GroupBySpec group_by{.keys = spec.keys, .aggregates = ParseAggregateCalls(spec.aggregates)};
  const GroupByResult local = RunGroupBy(*TableScan::Open(inputs), group_by, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

// Rows as partial rows of their own merge into what the query gives: counts of 1 and 0, sums
// widened (int32 to int64), minima and maxima as they are, means from merged sums and counts.
TEST_F(ShuffleJobTest, RowsAsPartialRowsMergeIntoTheQuerysResult) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"k", DataType::String()}, {"g", DataType::Int32()}, {"v", DataType::Int64()}});
  StringBuilder k;
  Int32Builder g;
  Int64Builder v;
  for (int r = 0; r < 300; ++r) {
    k.Append("key-" + std::to_string(r % 7));
    g.Append(r % 5);
    if (r % 4 == 0) {
      v.AppendNull();
    } else {
      v.Append(r * 3 - 200);
    }
  }
  const RecordBatch batch = RecordBatch::Make(schema, {k.Finish(), g.Finish(), v.Finish()});
  const std::vector<AggregateCall> calls =
      ParseAggregateCalls("count(*), count(v), sum(g), sum(v), min(v), max(k), mean(v), mean(g)");
  const std::optional<CombinePlan> plan = PlanCombine(calls);
  ASSERT_TRUE(plan.has_value());
  const std::vector<std::string> keys = {"k"};
  const GroupBySpec partial{.keys = keys, .aggregates = plan->partial};
  const std::shared_ptr<const Schema> partial_schema = GroupByOutputSchema(*schema, partial);
  const RecordBatch rows = PartialRowsOf(*plan, keys, batch, partial_schema);
  EXPECT_EQ(rows.num_rows(), batch.num_rows());
  EXPECT_EQ(rows.schema(), *partial_schema);

  const GroupBySpec merge{.keys = keys, .aggregates = plan->merge};
  std::vector<RecordBatch> combined;
  for (const RecordBatch& b :
       RunGroupBy(*TableScan::FromBatches(partial_schema, {rows}), merge, GroupByOptions{})
           .batches) {
    combined.push_back(FinishCombined(*plan, keys.size(), b));
  }
  const GroupBySpec query{.keys = keys, .aggregates = calls};
  EXPECT_EQ(
      Rows(combined),
      Rows(RunGroupBy(*TableScan::FromBatches(schema, {batch}), query, GroupByOptions{}).batches));
}

// A sort across workers: a sample stage, then range slices: the output is in order (ascending g,
// then descending v, nulls last) and holds the input's rows.
TEST_F(ShuffleJobTest, SortAcrossWorkersIsInOrderAndHoldsEveryRow) {
  const std::vector<std::string> inputs = WriteFiles(5, 8000, 3000);
  ShuffleSpec spec = Spec(kSortJobKind, inputs);
  spec.order_by = "g,v:desc";
  const SubmittedShuffle submitted = SubmitShuffle(url_, spec);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kDone);
  // sample, 5 maps, the ranges (at least 2 of the 16 hold rows), gather.
  EXPECT_GE(joined[0].stats.completed + joined[1].stats.completed, 1 + 5 + 2 + 1);
  std::vector<RecordBatch> all;
  auto input = TableScan::Open(inputs);
  for (const ScanUnit& unit : input->units()) {
    for (RecordBatch& b : input->Read(unit)) all.push_back(std::move(b));
  }
  EXPECT_EQ(Rows(spec.output), Rows(all));
  auto output = TableScan::Open({spec.output});
  std::optional<std::pair<int32_t, std::optional<int64_t>>> last;
  int64_t rows = 0;
  for (const ScanUnit& unit : output->units()) {
    for (const RecordBatch& b : output->Read(unit)) {
      const Array& g = b.column("g");
      const Array& v = b.column("v");
      for (int64_t r = 0; r < b.num_rows(); ++r, ++rows) {
        std::pair<int32_t, std::optional<int64_t>> key{g.Value<int32_t>(r), std::nullopt};
        if (!v.IsNull(r)) key.second = v.Value<int64_t>(r);
        if (last && last->first == key.first) {
          // Descending v with nulls last: a null is never followed by a value, values fall.
          ASSERT_FALSE(!last->second && key.second) << "row " << rows;
          if (last->second && key.second) {
            ASSERT_GE(*last->second, *key.second) << "row " << rows;
          }
        } else if (last) {
          ASSERT_LT(last->first, key.first) << "row " << rows;
        }
        last = key;
      }
    }
  }
  EXPECT_EQ(rows, 5 * 8000);
}

// A global top-N across workers: each map keeps its own first 40 rows, one reduce task the first
// 40 of those. The order has many ties (g has 3 values, v 1000) that span map tasks: the rows
// and their order are one process's `sort --top 40`, the earlier input row first among ties.
TEST_F(ShuffleJobTest, TopNAcrossWorkersEqualsOneProcessWithItsTies) {
  const std::vector<std::string> inputs = WriteFiles(5, 4000, 3000);
  ShuffleSpec spec = Spec(kSortJobKind, inputs);
  spec.order_by = "g:desc,v";
  spec.top = 40;
  const SubmittedShuffle submitted = SubmitShuffle(url_, spec);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kDone);
  // No sample: 5 maps, one reduce, the gather.
  EXPECT_EQ(joined[0].stats.completed + joined[1].stats.completed, 5 + 1 + 1);
  std::vector<std::string> local;
  SortTable(*TableScan::Open(inputs),
            SortOptions{.keys = ParseSortKeys(spec.order_by), .limit = 40},
            [&local](const RecordBatch& b) { AppendOrderedRows(b, local); });
  ASSERT_EQ(local.size(), 40u);
  EXPECT_EQ(OrderedRows(spec.output), local);
}

// A top-N per group across workers: ~1,000 groups of ~2 rows a file, ordered by g alone, so that
// each group's first 3 rows tie with rows of other map tasks. Every group has one process's rows
// in its order (ties: the earlier input row), its rows adjacent; groups are in no promised order.
TEST_F(ShuffleJobTest, TopNPerGroupAcrossWorkersEqualsOneProcessWithItsTies) {
  const std::vector<std::string> inputs = WriteFiles(5, 2000, 1000);
  ShuffleSpec spec = Spec(kSortJobKind, inputs);
  spec.order_by = "g:desc";
  spec.top = 3;
  spec.per = {"k"};
  spec.where = "v IS NOT NULL";
  const SubmittedShuffle submitted = SubmitShuffle(url_, spec);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kDone);
  // No sample: 5 maps, at least 3 reduces (min_reducers), the gather.
  EXPECT_GE(joined[0].stats.completed + joined[1].stats.completed, 5 + 3 + 1);
  TopNOptions options;
  options.groups = spec.per;
  options.order = ParseSortKeys(spec.order_by);
  options.n = spec.top;
  const TopNResult local = TopNPerGroup(*TableScan::Open(inputs, {}, spec.where), options);
  const auto expected = Groups(local.batches, "k");
  ASSERT_GT(expected.size(), 900u);
  EXPECT_EQ(Groups(Batches(spec.output), "k"), expected);
  // The tie rule decided: in many groups a 4th row has the 3rd's g, and was left out for being
  // later in the input (each file holds ~2 rows of a group, so mostly in another map task).
  options.n = 4;
  int decided = 0;
  for (const auto& [key, rows] :
       Groups(TopNPerGroup(*TableScan::Open(inputs, {}, spec.where), options).batches, "k")) {
    // "|k|g|v": the g field of the 3rd and 4th rows.
    auto g_of = [](const std::string& row) {
      const size_t at = row.find('|', 1);
      return row.substr(at, row.find('|', at + 1) - at);
    };
    if (rows.size() == 4 && g_of(rows[2]) == g_of(rows[3])) ++decided;
  }
  EXPECT_GT(decided, 100);
}

// A left join across workers: both sides sliced by a hash of their keys; the same rows as one
// process's join, unmatched left rows (and null keys) included.
TEST_F(ShuffleJobTest, JoinAcrossWorkersEqualsOneProcess) {
  const std::vector<std::string> left = WriteFiles(3, 4000, 500);
  fs::create_directories(dir_ / "right");
  std::vector<std::string> right;
  for (const std::string& path : WriteFiles(2, 300, 400)) {
    right.push_back((dir_ / "right" / fs::path(path).filename()).string());
    fs::copy_file(path, right.back());
  }
  ShuffleSpec spec = Spec(kJoinJobKind, left);
  spec.keys = {"k", "g"};
  spec.how = "left";
  spec.suffix = "_r";
  ResolveShuffleFiles({(dir_ / "right" / "*.parquet").string()}, spec.right_inputs,
                      spec.right_input_bytes);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(SubmitShuffle(url_, spec).job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kDone);
  JoinOptions options;
  const JoinResult local = RunHashJoin(*TableScan::Open(left), *TableScan::Open(right),
                                       JoinSpec{spec.keys, {}, JoinKind::kLeft, "_r"}, options);
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

// A map output removed after the map stage (one's data file, another's index) sends those map
// partitions back to run again; the reduce tasks that met the loss wait for them, uncharged, and
// the job ends with the one-process result.
TEST_F(ShuffleJobTest, AMissingMapOutputRunsItsMapPartitionAgain) {
  const std::vector<std::string> inputs = WriteFiles(4, 3000, 300);
  ShuffleSpec spec = Spec(kGroupByJobKind, inputs);
  spec.keys = {"k", "g"};
  spec.aggregates = "count(*), sum(v), median(v)";
  const std::string job = SubmitShuffle(url_, spec).job_name;
  RunMapStage(spec, job);
  const std::string lost_data = CommittedFile(spec, "map/00001", MapDataFileOf(1));
  ASSERT_TRUE(fs::remove(lost_data));
  ASSERT_TRUE(fs::remove(CommittedFile(spec, "map/00003", kMapIndexFile)));
  std::vector<JoinedShuffle> joined = RunTwoWorkers(job);
  ASSERT_EQ(joined[0].status, ledger::JobStatus::kDone);
  EXPECT_TRUE(joined[0].errors.empty());
  EXPECT_EQ(joined[0].stats.failed_attempts + joined[1].stats.failed_attempts, 0);
  EXPECT_GE(joined[0].stats.waited_for_input + joined[1].stats.waited_for_input, 1);
  EXPECT_EQ(Partition(job, "map/00000").attempt, 1);
  EXPECT_GE(Partition(job, "map/00001").attempt, 2);
  EXPECT_GE(Partition(job, "map/00003").attempt, 2);
  for (int r = 0; r < 16; ++r) {  // advisory_bytes 1: a reduce task per slice
    const ledger::PartitionRecord reduce = Partition(job, jobs::StageKey(kReduceStage, r));
    EXPECT_EQ(reduce.status, ledger::PartitionStatus::kDone);
    EXPECT_EQ(reduce.attempts_used, 1) << reduce.key;  // waiting for the map was not charged
  }
  GroupBySpec group_by{.keys = spec.keys, .aggregates = ParseAggregateCalls(spec.aggregates)};
  const GroupByResult local = RunGroupBy(*TableScan::Open(inputs), group_by, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

// A reduce part gone before the gather ran sends its reduce partition back to run again.
TEST_F(ShuffleJobTest, AMissingReducePartRunsItsReducePartitionAgain) {
  const std::vector<std::string> inputs = WriteFiles(3, 2000, 300);
  ShuffleSpec spec = Spec(kDistinctJobKind, inputs);
  spec.keys = {"k"};
  const std::string job = SubmitShuffle(url_, spec).job_name;
  RunMapStage(spec, job, true, kGatherStage);
  ASSERT_TRUE(fs::remove(CommittedFile(spec, "reduce/00002", kPartFile)));
  std::vector<JoinedShuffle> joined = RunTwoWorkers(job);
  ASSERT_EQ(joined[0].status, ledger::JobStatus::kDone);
  EXPECT_EQ(joined[0].stats.failed_attempts + joined[1].stats.failed_attempts, 0);
  EXPECT_GE(Partition(job, "reduce/00002").attempt, 2);
  EXPECT_EQ(Partition(job, "reduce/00003").attempt, 1);
  EXPECT_EQ(Partition(job, "gather/00000").attempts_used, 1);
  const GroupByResult local = RunDistinct(*TableScan::Open(inputs), spec.keys, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

// A map output gone whose map partition cannot run again (its input is gone too): the reduces that
// wait for it fail once it has failed, and the job fails naming it, instead of waiting forever.
TEST_F(ShuffleJobTest, ALostMapOutputWhoseMapFailsFailsTheJob) {
  const std::vector<std::string> inputs = WriteFiles(3, 2000, 300);
  ShuffleSpec spec = Spec(kDistinctJobKind, inputs);
  spec.keys = {"k"};
  const std::string job = SubmitShuffle(url_, spec).job_name;
  RunMapStage(spec, job);
  ASSERT_TRUE(fs::remove(CommittedFile(spec, "map/00001", MapDataFileOf(1))));
  ASSERT_TRUE(fs::remove(inputs[1]));
  std::vector<JoinedShuffle> joined = RunTwoWorkers(job);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kFailed);
  EXPECT_EQ(Partition(job, "map/00001").status, ledger::PartitionStatus::kFailed);
  EXPECT_NE(Partition(job, "map/00001").error.find(inputs[1]), std::string::npos);
  EXPECT_FALSE(fs::exists(spec.output));
}

// A map output gone before the barrier (its index, or its whole directory) runs its map partition
// again before the reduce stage is planned.
TEST_F(ShuffleJobTest, AMapOutputGoneBeforeTheBarrierRunsAgainBeforeTheReduceIsPlanned) {
  const std::vector<std::string> inputs = WriteFiles(3, 3000, 300);
  ShuffleSpec spec = Spec(kDistinctJobKind, inputs);
  spec.keys = {"k"};
  const std::string job = SubmitShuffle(url_, spec).job_name;
  RunMapStage(spec, job, /*plan_reduce=*/false);
  ASSERT_TRUE(fs::remove(CommittedFile(spec, "map/00000", kMapIndexFile)));
  ASSERT_GT(fs::remove_all(fs::path(CommittedFile(spec, "map/00002", kMapIndexFile)).parent_path()),
            0u);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(job);
  ASSERT_EQ(joined[0].status, ledger::JobStatus::kDone);
  EXPECT_EQ(joined[0].stats.failed_attempts + joined[1].stats.failed_attempts, 0);
  EXPECT_GE(Partition(job, "map/00000").attempt, 2);
  EXPECT_EQ(Partition(job, "map/00001").attempt, 1);
  EXPECT_GE(Partition(job, "map/00002").attempt, 2);
  const GroupByResult local = RunDistinct(*TableScan::Open(inputs), spec.keys, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

// One hot key holds 60% of the left side: its slice is split into reduce tasks of a few left map
// outputs each against the whole right slice, and the join equals one process's.
TEST_F(ShuffleJobTest, ASkewedJoinSplitsItsHotSliceAndEqualsOneProcess) {
  const std::vector<std::string> left = WriteSkewedFiles("left", 4, 4000, 300, 6);
  fs::create_directories(dir_ / "right");
  std::vector<std::string> right;
  for (const std::string& path : WriteSkewedFiles("r", 2, 300, 300, 0)) {
    right.push_back((dir_ / "right" / fs::path(path).filename()).string());
    fs::rename(path, right.back());
  }
  const std::string hot_right = (dir_ / "right" / "hot.parquet").string();
  {
    auto schema = std::make_shared<const Schema>(std::vector<Field>{
        {"k", DataType::String()}, {"g", DataType::Int32()}, {"v", DataType::Int64()}});
    StringBuilder k;
    Int32Builder g;
    Int64Builder v;
    for (int r = 0; r < 3; ++r) {
      k.Append("hot");
      g.Append(0);
      v.Append(r);
    }
    parquet::WriteParquetFile(hot_right, schema,
                              {RecordBatch::Make(schema, {k.Finish(), g.Finish(), v.Finish()})});
  }
  right.push_back(hot_right);
  for (const std::string how : {"inner", "left"}) {
    ShuffleSpec spec = Spec(kJoinJobKind, left);
    spec.output = (dir_ / ("out-" + how + ".parquet")).string();
    spec.work_dir = ShuffleSpec::DefaultWorkDir(spec.output);
    spec.keys = {"k", "g"};
    spec.how = how;
    spec.suffix = "_r";
    spec.advisory_bytes = 32 << 10;  // the hot slice holds ~70 KiB of each left map output
    ResolveShuffleFiles({(dir_ / "right" / "*.parquet").string()}, spec.right_inputs,
                        spec.right_input_bytes);
    const std::string job = SubmitShuffle(url_, spec).job_name;
    std::vector<JoinedShuffle> joined = RunTwoWorkers(job);
    ASSERT_EQ(joined[0].status, ledger::JobStatus::kDone) << how;
    auto ledger = ledger::OpenLedger(url_);
    int split = 0;
    for (const ledger::PartitionRecord& p :
         jobs::AllPartitions(*ledger, ledger->FindJob(job)->id)) {
      if (p.definition_json.find("left_maps") != std::string::npos) ++split;
    }
    EXPECT_GE(split, 2) << how;
    JoinOptions options;
    const JoinResult local =
        RunHashJoin(*TableScan::Open(left), *TableScan::Open(right),
                    JoinSpec{spec.keys, {}, ParseJoinKind(how), "_r"}, options);
    EXPECT_EQ(Rows(spec.output), Rows(local.batches)) << how;
  }
}

TEST_F(ShuffleJobTest, DistinctKeepsTheFirstRowOfEachKeyInInputOrder) {
  const std::vector<std::string> inputs = WriteFiles(4, 5000, 300);
  ShuffleSpec spec = Spec(kDistinctJobKind, inputs);
  spec.keys = {"k"};
  spec.advisory_bytes = int64_t{1} << 40;  // every slice fits one task: min_reducers decides
  const SubmittedShuffle submitted = SubmitShuffle(url_, spec);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].stats.completed + joined[1].stats.completed, 4 + 3 + 1);
  const GroupByResult local = RunDistinct(*TableScan::Open(inputs), spec.keys, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

TEST_F(ShuffleJobTest, SubmittingTheSameWorkTwiceTakesUpTheJob) {
  ShuffleSpec spec = Spec(kDistinctJobKind, WriteFiles(2, 100, 10));
  const SubmittedShuffle first = SubmitShuffle(url_, spec);
  const SubmittedShuffle again = SubmitShuffle(url_, spec);
  EXPECT_EQ(first.job_name, again.job_name);
  EXPECT_TRUE(again.resumed);
  spec.keys = {"g"};
  EXPECT_NE(SubmitShuffle(url_, spec).job_name, first.job_name);
}

TEST_F(ShuffleJobTest, AMissingInputFailsTheJobNamingTheFile) {
  const std::vector<std::string> inputs = WriteFiles(3, 100, 10);
  ShuffleSpec spec = Spec(kGroupByJobKind, inputs);
  spec.keys = {"k"};
  spec.aggregates = "count(*)";
  const SubmittedShuffle submitted = SubmitShuffle(url_, spec);
  fs::remove(inputs[1]);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kFailed);
  ASSERT_EQ(joined[0].errors.size(), 1u);
  EXPECT_NE(joined[0].errors[0].find("map/00001"), std::string::npos);
  EXPECT_NE(joined[0].errors[0].find(inputs[1]), std::string::npos) << joined[0].errors[0];
  EXPECT_FALSE(fs::exists(spec.output));
}

// `sluice retry` of a shuffle failed in its map stage: once the input is back, the requeued map
// partition runs and the reduce and gather stages, never planned before, follow.
TEST_F(ShuffleJobTest, ARetriedJobRunsTheStagesItsFailureCutOff) {
  const std::vector<std::string> inputs = WriteFiles(3, 400, 50);
  ShuffleSpec spec = Spec(kGroupByJobKind, inputs);
  spec.keys = {"k"};
  spec.aggregates = "count(*), sum(v)";
  const std::string job = SubmitShuffle(url_, spec).job_name;
  const fs::path aside = dir_ / "aside.parquet";
  fs::rename(inputs[1], aside);
  ASSERT_EQ(RunTwoWorkers(job)[0].status, ledger::JobStatus::kFailed);
  fs::rename(aside, inputs[1]);
  auto ledger = ledger::OpenLedger(url_);
  EXPECT_EQ(jobs::RequeueFailedPartitions(*ledger, *ledger->FindJob(job)), 1);
  std::vector<JoinedShuffle> joined = RunTwoWorkers(job);
  ASSERT_EQ(joined[0].status, ledger::JobStatus::kDone);
  GroupBySpec group_by{.keys = spec.keys, .aggregates = ParseAggregateCalls(spec.aggregates)};
  const GroupByResult local = RunGroupBy(*TableScan::Open(inputs), group_by, GroupByOptions{});
  EXPECT_EQ(Rows(spec.output), Rows(local.batches));
}

TEST(MapOutputTest, SlicesCoverTheRangeEvenly) {
  std::vector<int> counts(8, 0);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 80000; ++i) ++counts[static_cast<size_t>(SliceOfHash(rng(), 8))];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

// Equal keys share a slice (-0.0 and 0.0, NaNs, nulls included), every column counts, and rows
// of distinct keys spread evenly over the slices.
TEST(MapOutputTest, SliceHashesFollowEveryKeyAndSpreadRowsEvenly) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"s", DataType::String()}, {"i", DataType::Int32()}, {"d", DataType::Float64()}});
  StringBuilder s;
  Int32Builder i;
  Float64Builder d;
  const int rows = 64000;
  for (int r = 0; r < rows; ++r) {
    s.Append("k" + std::to_string(r % 100));
    i.Append(r / 100);
    d.Append(1.5);
  }
  auto add = [&](const char* key, int32_t n, double x) {
    key == nullptr ? s.AppendNull() : s.Append(key);
    i.Append(n);
    d.Append(x);
  };
  add(nullptr, 7, std::nan(""));
  add(nullptr, 7, -std::nan(""));
  add("z", 1, 0.0);
  add("z", 1, -0.0);
  const RecordBatch batch = RecordBatch::Make(schema, {s.Finish(), i.Finish(), d.Finish()});
  std::vector<uint64_t> hashes;
  const std::vector<int> columns = {0, 1, 2};
  SliceHashes(batch, columns, hashes);
  ASSERT_EQ(hashes.size(), static_cast<size_t>(rows + 4));
  EXPECT_EQ(hashes[rows], hashes[rows + 1]) << "null keys and NaNs of either sign are one key";
  EXPECT_EQ(hashes[rows + 2], hashes[rows + 3]) << "0.0 and -0.0 are one key";
  std::set<uint64_t> distinct(hashes.begin(), hashes.begin() + rows);
  EXPECT_EQ(distinct.size(), static_cast<size_t>(rows)) << "s and i both decide";
  std::vector<int> counts(64, 0);
  for (int r = 0; r < rows; ++r) ++counts[static_cast<size_t>(SliceOfHash(hashes[r], 64))];
  for (int c : counts) EXPECT_NEAR(c, rows / 64, rows / 64 / 5);

  // One column alone: the same rows as the first column's keys, 100 of them.
  SliceHashes(batch, std::vector<int>{0}, hashes);
  EXPECT_EQ(std::set<uint64_t>(hashes.begin(), hashes.begin() + rows).size(), 100u);
}

}  // namespace
}  // namespace sluice::shuffle
