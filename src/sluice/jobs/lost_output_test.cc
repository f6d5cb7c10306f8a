// Done partitions whose committed output was removed: found, counted by status, reopened once and
// run again by the worker, against a SQLite ledger and a local output root.
#include "sluice/jobs/lost_output.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/jobs/job_status.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"
#include "sluice/jobs/worker.h"

namespace sluice::jobs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LostOutputTest : public SqliteLedgerFixture {
 protected:
  ledger::JobRecord SealedJob() {
    ledger::JobRecord job = ledger_->CreateJob("job");
    ledger_->AddPartitions(job.id, std::vector<ledger::PartitionSpec>{{"a"}, {"b"}, {"c"}});
    ledger_->SealJob(job.id);
    return ledger_->GetJob(job.id);
  }

  // Runs the job to its end, resuming it as a command does (CreateOrResumeJob reopens it, its
  // partitioner seals it); each partition writes two files naming its key.
  void RunJob(ledger::JobId job) {
    ledger_->ReopenJob(job);
    ledger_->SealJob(job);
    WorkerOptions options;
    options.output_root = out();
    options.max_idle_poll = 5ms;
    RunWorker(
        url_, job,
        [this](const TaskContext& context) {
          for (const char* name : {"part-0.txt", "part-1.txt"}) {
            std::ofstream(context.output_dir / name) << context.lease.key << " " << name << "\n";
          }
          std::lock_guard lock(mu_);
          ++runs_[context.lease.key];
        },
        options);
  }

  fs::path out() const { return dir_ / "out"; }

  std::mutex mu_;
  std::map<std::string, int> runs_;  // guarded by mu_
};

TEST_F(LostOutputTest, ARemovedOutputFileIsFoundAndItsPartitionAloneRunsAgain) {
  const ledger::JobRecord job = SealedJob();
  RunJob(job.id);
  ASSERT_EQ(ledger_->GetJob(job.id).status, ledger::JobStatus::kDone);
  EXPECT_TRUE(FindLostOutputs(*ledger_, job).empty());
  const std::string original = ReadText(out() / "b" / "part-1.txt");
  ASSERT_FALSE(original.empty());

  fs::remove(out() / "b" / "part-1.txt");
  const std::vector<LostOutput> lost = FindLostOutputs(*ledger_, ledger_->GetJob(job.id));
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].key, "b");
  EXPECT_EQ(lost[0].missing, (out() / "b" / "part-1.txt").string());
  JobStatusReport status = ReadJobStatus(*ledger_, ledger_->GetJob(job.id), true);
  EXPECT_EQ(status.outputs_missing, 1);
  EXPECT_EQ(status.ToJson()["first_missing"], (out() / "b" / "part-1.txt").string());
  EXPECT_NE(status.Line().find("output of 1 done partition missing (first " +
                               (out() / "b" / "part-1.txt").string()),
            std::string::npos)
      << status.Line();

  RunJob(job.id);  // the resume
  EXPECT_EQ(runs_, (std::map<std::string, int>{{"a", 1}, {"b", 2}, {"c", 1}}));
  EXPECT_EQ(ReadText(out() / "b" / "part-1.txt"), original);
  EXPECT_EQ(ledger_->GetJob(job.id).status, ledger::JobStatus::kDone);
  EXPECT_TRUE(FindLostOutputs(*ledger_, ledger_->GetJob(job.id)).empty());
  EXPECT_EQ(ReadJobStatus(*ledger_, ledger_->GetJob(job.id), true).outputs_missing, 0);
  int reopened = 0;
  for (const ledger::EventRecord& e : ledger_->ReadEvents(job.id)) {
    if (e.kind != "reopened") continue;
    ++reopened;
    EXPECT_NE(e.detail_json.find("part-1.txt"), std::string::npos) << e.detail_json;
  }
  EXPECT_EQ(reopened, 1);
}

TEST_F(LostOutputTest, AReopenedPartitionIsNoLongerLostAndRunsOnce) {
  const ledger::JobRecord job = SealedJob();
  RunJob(job.id);
  fs::remove_all(out() / "a");  // its whole output moved away
  EXPECT_EQ(ReopenLostOutputs(*ledger_, job.id), 1);
  EXPECT_EQ(ledger_->GetJob(job.id).status, ledger::JobStatus::kRunning);
  auto other = ledger::OpenLedger(url_);
  EXPECT_EQ(ReopenLostOutputs(*other, job.id), 0) << "pending is not done: nothing more is lost";
  RunJob(job.id);
  EXPECT_EQ(runs_["a"], 2);
  EXPECT_TRUE(fs::exists(out() / "a" / "part-0.txt"));
  EXPECT_EQ(ledger_->GetJob(job.id).status, ledger::JobStatus::kDone);
}

TEST_F(LostOutputTest, ACommittedAttemptWaitingForItsPublishIsNotLost) {
  const ledger::JobRecord job = SealedJob();
  RunJob(job.id);
  // As if the worker died between the ledger's commit and the publish.
  const ledger::PartitionRecord c = ledger_->ListPartitions(job.id).back();
  const OutputLayout layout(out());
  fs::create_directories(layout.AttemptsDir());
  fs::rename(out() / "c", layout.AttemptDir({c.id, c.attempt}));
  EXPECT_TRUE(FindLostOutputs(*ledger_, job).empty());
  EXPECT_EQ(layout.Sweep(*ledger_, job.id).published, 1);
  EXPECT_TRUE(fs::exists(out() / "c" / "part-1.txt"));
}

TEST_F(LostOutputTest, AStagedJobsRemovedWorkIsNotALoss) {
  ledger::JobRecord job = ledger_->CreateJob("staged", R"({"stages":["map","reduce"]})");
  ledger_->AddPartitions(job.id, std::vector<ledger::PartitionSpec>{{"map/00000"}});
  ledger_->SealJob(job.id);
  RunJob(job.id);
  fs::remove_all(out() / "map%2F00000");
  EXPECT_TRUE(FindLostOutputs(*ledger_, ledger_->GetJob(job.id)).empty());
}

}  // namespace
}  // namespace sluice::jobs
