#include "sluice/jobs/task_timeline.h"

#include <gtest/gtest.h>

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
}

}  // namespace
}  // namespace sluice::jobs
