#include "sluice/ops/group_by_merge.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "sluice/table/builder.h"

namespace sluice {
namespace {

const std::shared_ptr<const Schema>& TestSchema() {
  static const auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"k", DataType::String()}, {"v", DataType::Int64()}});
  return schema;
}

// Batches of rows with about `keys` distinct keys, each key's values known in `want` (count,
// sum).
std::vector<RecordBatch> MakeBatches(int batches, int rows, int keys, uint64_t seed,
                                     std::map<std::string, std::pair<int64_t, int64_t>>& want) {
  std::mt19937_64 rng(seed);
  std::vector<RecordBatch> out;
  for (int b = 0; b < batches; ++b) {
    StringBuilder k;
    Int64Builder v;
    for (int r = 0; r < rows; ++r) {
      const std::string key = "key-" + std::to_string(rng() % static_cast<uint64_t>(keys));
      const int64_t value = static_cast<int64_t>(rng() % 1000);
      k.Append(key);
      v.Append(value);
      auto& [count, sum] = want[key];
      ++count;
      sum += value;
    }
    out.push_back(RecordBatch::Make(TestSchema(), {k.Finish(), v.Finish()}));
  }
  return out;
}

struct Fixture {
  GroupBySpec spec;
  std::unique_ptr<HashAggregation> prototype;
  std::unique_ptr<GroupBySpill> spill;
  std::vector<std::shared_ptr<GroupByPartial>> partials;

  // Two partials with room for everything: no runs, only partial states to merge.
  explicit Fixture(const std::vector<RecordBatch>& batches, int partitions) {
    spec.keys = {"k"};
    spec.aggregates = ParseAggregateCalls("count(*), sum(v)");
    prototype = std::make_unique<HashAggregation>(*TestSchema(), spec);
    spill = std::make_unique<GroupBySpill>(*TestSchema(), spec, *prototype, int64_t{1} << 30,
                                           partitions, 1 << 20, int64_t{1} << 40, "");
    for (int p = 0; p < 2; ++p)
      partials.push_back(std::make_shared<GroupByPartial>(*prototype, *spill));
    int64_t position = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      partials[b % 2]->Consume(batches[b], position);
      position += batches[b].num_rows();
    }
    for (auto& p : partials) {
      p->FinishInput();
      p->state().Seal(partitions);
    }
  }

  GroupByMergeInputs Inputs(int partitions) const {
    GroupByMergeInputs in;
    in.partials = &partials;
    in.spill_partitions = partitions;
    in.run_prototype = &spill->run_prototype();
    in.output_batch_rows = 500;
    return in;
  }
};

void ExpectRows(const std::vector<RecordBatch>& got,
                const std::map<std::string, std::pair<int64_t, int64_t>>& want) {
  std::map<std::string, std::pair<int64_t, int64_t>> seen;
  for (const RecordBatch& b : got) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      const auto [it, fresh] =
          seen.emplace(std::string(b.column(0).BinaryValue(r)),
                       std::pair{b.column(1).Value<int64_t>(r), b.column(2).Value<int64_t>(r)});
      EXPECT_TRUE(fresh) << "group twice: " << it->first;
    }
  }
  EXPECT_EQ(seen, want);
}

GroupByMergeMemory::Await InPlace() {
  return [](const std::function<bool()>& wait) { return wait(); };
}

// With room, one pass merges every partition of the task.
TEST(GroupByMergeTest, OnePassWhenTheStateFits) {
  std::map<std::string, std::pair<int64_t, int64_t>> want;
  const auto batches = MakeBatches(6, 4000, 20000, 1, want);
  Fixture f(batches, 4);
  GroupByMergeMemory memory(int64_t{1} << 30, CancellationToken());
  GroupByMergeTask task;
  task.spill_range = {0, 4};
  std::vector<RecordBatch> got;
  const GroupByMergeOutcome outcome = RunGroupByMerge(
      f.Inputs(4), task, memory, InPlace(), [&](RecordBatch b) { got.push_back(std::move(b)); });
  EXPECT_EQ(outcome.passes, 1);
  EXPECT_EQ(outcome.splits, 0);
  EXPECT_EQ(outcome.groups, static_cast<int64_t>(want.size()));
  ExpectRows(got, want);
}

// A merge denied memory (alone, so waiting cannot help) splits its hash range into passes until
// each fits, stays within the budget, and gives the same groups exactly once.
TEST(GroupByMergeTest, AMergeDeniedMemorySplitsIntoPassesWithinTheBudget) {
  std::map<std::string, std::pair<int64_t, int64_t>> want;
  const auto batches = MakeBatches(6, 4000, 20000, 2, want);
  Fixture f(batches, 2);
  // First the state's size when it fits.
  GroupByMergeMemory roomy(int64_t{1} << 30, CancellationToken());
  GroupByMergeTask task;
  task.spill_range = {0, 2};
  const GroupByMergeOutcome whole =
      RunGroupByMerge(f.Inputs(2), task, roomy, InPlace(), [](RecordBatch) {});
  ASSERT_EQ(whole.passes, 1);
  // A fifth of it, with an estimate that does not warn: the task learns by being refused.
  GroupByMergeMemory tight(whole.state_bytes / 5, CancellationToken());
  std::vector<RecordBatch> got;
  const GroupByMergeOutcome outcome = RunGroupByMerge(
      f.Inputs(2), task, tight, InPlace(), [&](RecordBatch b) { got.push_back(std::move(b)); });
  EXPECT_GT(outcome.splits, 0);
  EXPECT_GE(outcome.passes, 5);
  EXPECT_LE(tight.peak(), tight.limit());
  EXPECT_LE(outcome.state_bytes, tight.limit());
  EXPECT_EQ(outcome.groups, static_cast<int64_t>(want.size()));
  ExpectRows(got, want);

  // Told the size up front, it starts in enough passes and splits nothing.
  task.estimated_bytes = whole.state_bytes;
  GroupByMergeMemory informed(whole.state_bytes / 5, CancellationToken());
  got.clear();
  const GroupByMergeOutcome planned = RunGroupByMerge(
      f.Inputs(2), task, informed, InPlace(), [&](RecordBatch b) { got.push_back(std::move(b)); });
  EXPECT_GE(planned.passes, 5);
  EXPECT_LE(informed.peak(), informed.limit());
  ExpectRows(got, want);
}

}  // namespace
}  // namespace sluice
