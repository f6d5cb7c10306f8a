#include "sluice/jobs/task_timeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

using TaskTimelineTest = SqliteLedgerFixture;

ledger::Lease ClaimOne(ledger::Ledger& ledger, ledger::JobId job, const std::string& owner) {
  std::vector<ledger::Lease> leases = ledger.Claim(job, {.owner = owner});
  EXPECT_EQ(leases.size(), 1u);
  return leases.empty() ? ledger::Lease{} : leases[0];
}

TEST_F(TaskTimelineTest, EveryAttemptWithItsWorkerOutcomeAndError) {
  const ledger::JobId job = ledger_->CreateJob("timeline").id;
  ledger_->AddPartitions(job, std::vector<ledger::PartitionSpec>{{.key = "a", .max_attempts = 2},
                                                                 {.key = "b", .max_attempts = 1}});
  // a fails once (retried), then succeeds on another worker; b fails for good.
  ledger::Lease a1 = ClaimOne(*ledger_, job, "host1:10:0");
  ledger_->Fail(a1.ref(), "disk full", ledger::Duration(0));
  ledger::Lease next = ClaimOne(*ledger_, job, "host2:20:1");
  ledger::Lease other = ClaimOne(*ledger_, job, "host2:20:2");
  ledger::Lease a2 = next.key == "a" ? next : other;
  ledger::Lease b1 = next.key == "a" ? other : next;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // both run a while
  ledger_->Complete(a2.ref(), R"({"attempt": 2, "bytes": 1234, "files": []})");
  ledger_->Fail(b1.ref(), "bad row 7", ledger::Duration(0));

  nlohmann::json t = TaskTimelineJson(*ledger_, job);
  ASSERT_EQ(t["attempts"].size(), 3u) << t.dump(2);
  const nlohmann::json& first = t["attempts"][0];
  EXPECT_EQ(first["partition"], "a");
  EXPECT_EQ(first["worker"], "host1:10:0");
  EXPECT_EQ(first["outcome"], "retried");
  EXPECT_EQ(first["error"], "disk full");
  EXPECT_EQ(first["start_s"], 0);
  int done = 0, failed = 0;
  for (const nlohmann::json& a : t["attempts"]) {
    EXPECT_GE(a["end_s"].get<double>(), a["start_s"].get<double>()) << a.dump();
    if (a["outcome"] == "done") {
      ++done;
      EXPECT_EQ(a["partition"], "a");
    }
    if (a["outcome"] == "failed") {
      ++failed;
      EXPECT_EQ(a["error"], "bad row 7");
    }
  }
  EXPECT_EQ(done, 1);
  EXPECT_EQ(failed, 1);
  ASSERT_EQ(t["partitions"].size(), 2u);
  EXPECT_EQ(t["partitions"][0]["key"], "a");
  EXPECT_EQ(t["partitions"][0]["bytes"], 1234);
  EXPECT_EQ(t["partitions"][1]["status"], "failed");
  EXPECT_FALSE(t["partitions"][1].contains("bytes"));
  EXPECT_EQ(t["total"], 2);

  // Over time: two running at once, then one done and one failed, none running.
  const nlohmann::json& progress = t["progress"];
  ASSERT_GE(progress.size(), 2u) << progress.dump();
  EXPECT_EQ(progress.front(),
            (nlohmann::json{{"t", 0}, {"running", 0}, {"done", 0}, {"failed", 0}}));
  int most_running = 0;
  for (const nlohmann::json& p : progress)
    most_running = std::max(most_running, p["running"].get<int>());
  EXPECT_EQ(most_running, 2) << progress.dump();
  EXPECT_EQ(progress.back()["running"], 0);
  EXPECT_EQ(progress.back()["done"], 1);
  EXPECT_EQ(progress.back()["failed"], 1);
  EXPECT_EQ(progress.back()["t"], t["end_s"]);
}

TEST_F(TaskTimelineTest, ReleasedAndExpiredAttemptsEndAndRunningOnesReachNow) {
  const ledger::JobId job = ledger_->CreateJob("timeline").id;
  ledger_->AddPartitions(job, std::vector<ledger::PartitionSpec>{{.key = "a", .max_attempts = 3},
                                                                 {.key = "b", .max_attempts = 3}});
  ClaimOne(*ledger_, job, "w0");  // holds one partition throughout
  ledger::Lease released = ClaimOne(*ledger_, job, "w1");
  ledger_->Release(released.ref());
  // w2's lease on the other partition runs out, and w3 takes it over.
  std::vector<ledger::Lease> lost =
      ledger_->Claim(job, {.owner = "w2", .lease = std::chrono::milliseconds(1)});
  ASSERT_EQ(lost.size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ClaimOne(*ledger_, job, "w3").key, released.key);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));

  nlohmann::json t = TaskTimelineJson(*ledger_, job);
  ASSERT_EQ(t["attempts"].size(), 4u) << t.dump(2);
  std::vector<std::string> outcomes;
  for (const nlohmann::json& a : t["attempts"]) outcomes.push_back(a["outcome"]);
  EXPECT_EQ(outcomes, (std::vector<std::string>{"running", "released", "expired", "running"}));
  EXPECT_EQ(t["attempts"][2]["end_s"], t["attempts"][3]["start_s"]);
  EXPECT_FALSE(t["attempts"][0].contains("end_s"));
  // The running attempts reach the present: past the last claim.
  EXPECT_GT(t["end_s"].get<double>(), t["attempts"][3]["start_s"].get<double>());
  EXPECT_EQ(t["progress"].back()["running"], 2);
  EXPECT_EQ(t["progress"].back()["done"], 0);
}

}  // namespace
}  // namespace sluice::jobs
