#include "sluice/jobs/job_stages.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "sluice/jobs/testing/sqlite_ledger_fixture.h"
#include "sluice/jobs/worker.h"

namespace sluice::jobs {
namespace {

class JobStagesTest : public SqliteLedgerFixture {
 protected:
  // map: three partitions; reduce: as many as the map partitions' manifests sum to; gather: one.
  StagePlan Plan() {
    StagePlan plan;
    plan.stages = {"map", "reduce", "gather"};
    plan.plan = [](size_t stage, const std::vector<ledger::PartitionRecord>& done) {
      std::vector<ledger::PartitionSpec> specs;
      if (stage == 1) {
        int64_t n = 0;
        for (const auto& p : done) n += std::stoll(p.output_manifest_json);
        for (int64_t r = 0; r < n; ++r) specs.push_back({StageKey("reduce", r)});
      } else {
        specs.push_back({StageKey("gather", 0)});
      }
      return specs;
    };
    return plan;
  }

  ledger::JobId MapJob(int maps) {
    ledger::JobId job = ledger_->CreateJob("staged").id;
    std::vector<ledger::PartitionSpec> specs;
    for (int m = 0; m < maps; ++m) specs.push_back({StageKey("map", m)});
    ledger_->AddPartitions(job, specs);
    return job;
  }
};

TEST_F(JobStagesTest, KeysNameTheirStage) {
  EXPECT_EQ(StageKey("map", 3), "map/00003");
  EXPECT_EQ(StageOfKey("map/00003"), "map");
  EXPECT_EQ(StageOfKey("gather"), "gather");
}

TEST_F(JobStagesTest, NextStageWaitsForEveryPartitionOfTheLastOne) {
  const ledger::JobId job = MapJob(2);
  EXPECT_FALSE(AdvanceStages(*ledger_, job, Plan()));  // pending maps
  std::vector<ledger::Lease> leases = ledger_->Claim(job, {"w", std::chrono::seconds(30), 2});
  ASSERT_EQ(leases.size(), 2u);
  ledger_->Complete(leases[0].ref(), "1");
  EXPECT_FALSE(AdvanceStages(*ledger_, job, Plan()));  // one map still running
  ledger_->Complete(leases[1].ref(), "2");
  EXPECT_TRUE(AdvanceStages(*ledger_, job, Plan()));
  EXPECT_EQ(ledger_->Progress(job).pending, 3);  // reduce/00000..00002
  EXPECT_FALSE(ledger_->Progress(job).sealed);
}

TEST_F(JobStagesTest, AFailedPartitionSealsTheJobInsteadOfStartingTheNextStage) {
  const ledger::JobId job = MapJob(1);
  std::vector<ledger::Lease> leases = ledger_->Claim(job, {"w", std::chrono::seconds(30), 1});
  ASSERT_EQ(leases.size(), 1u);
  ledger_->Fail(leases[0].ref(), "bad input", {});
  ASSERT_EQ(ledger_->GetPartition(leases[0].partition_id).status,
            ledger::PartitionStatus::kPending);
  leases = ledger_->Claim(job, {"w", std::chrono::seconds(30), 1});
  ledger_->Fail(leases[0].ref(), "bad input", {});
  leases = ledger_->Claim(job, {"w", std::chrono::seconds(30), 1});
  ledger_->Fail(leases[0].ref(), "bad input", {});
  EXPECT_TRUE(AdvanceStages(*ledger_, job, Plan()));
  const ledger::JobProgress progress = ledger_->Progress(job);
  EXPECT_TRUE(progress.complete());
  EXPECT_EQ(progress.total(), 1);
}

// Workers run every stage in order: a reduce never starts before every map is done, the gather
// runs once, after every reduce; two workers racing to plan add each partition once.
TEST_F(JobStagesTest, WorkersRunTheStagesInOrderThroughTheIdleHook) {
  const ledger::JobId job = MapJob(4);
  std::mutex mu;
  std::vector<std::string> order;
  std::atomic<int> maps_done{0};
  PartitionTask task = [&](const TaskContext& context) {
    std::lock_guard lock(mu);
    const std::string_view stage = StageOfKey(context.lease.key);
    if (stage == "reduce") {
      EXPECT_EQ(maps_done.load(), 4);
    }
    order.push_back(context.lease.key);
  };
  WorkerOptions options;
  options.slots = 2;
  options.max_idle_poll = std::chrono::milliseconds(20);
  const StagePlan plan = Plan();
  options.on_idle = [&plan](ledger::Ledger& ledger, ledger::JobId id) {
    AdvanceStages(ledger, id, plan);
  };
  // Each map's manifest is the task's default (empty), so the plan needs manifests: complete them
  // by hand first, then let the workers do the reduce and gather stages.
  std::vector<ledger::Lease> leases = ledger_->Claim(job, {"w", std::chrono::seconds(30), 4});
  for (const ledger::Lease& lease : leases) {
    ledger_->Complete(lease.ref(), "1");
  }
  maps_done = 4;
  std::thread other([&] { RunWorker(url_, job, task, options); });
  RunWorker(url_, job, task, options);
  other.join();
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order.back(), "gather/00000");
  EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).size(), 5u);
  EXPECT_EQ(ledger_->GetJob(job).status, ledger::JobStatus::kDone);
}

}  // namespace
}  // namespace sluice::jobs
