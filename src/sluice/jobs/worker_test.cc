// The worker loop's claim and completion sizing, in one process against a SQLite ledger.
#include "sluice/jobs/worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "sluice/base/error.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {
namespace {

using namespace std::chrono_literals;

class WorkerTest : public SqliteLedgerFixture {
 protected:
  ledger::JobId SealedJob(int partitions) {
    ledger::JobId job = ledger_->CreateJob("job").id;
    std::vector<ledger::PartitionSpec> specs;
    for (int i = 0; i < partitions; ++i) specs.push_back({"p" + std::to_string(i)});
    ledger_->AddPartitions(job, specs);
    ledger_->SealJob(job);
    return job;
  }

  std::vector<ledger::PartitionRecord> All(ledger::JobId job) {
    ledger::PartitionQuery query;
    query.limit = 100000;
    return ledger_->ListPartitions(job, query);
  }
};

TEST_F(WorkerTest, SlowPartitionsAreClaimedAsSlotsFreeUpNotInBatches) {
  ledger::JobId job = SealedJob(24);
  std::atomic<int64_t> peak_held{0};
  auto observer = ledger::OpenLedger(url_);
  std::mutex observer_mu;
  PartitionTask task = [&](const TaskContext&) {
    int64_t held;
    {
      std::lock_guard lock(observer_mu);
      held = observer->Progress(job).running;
    }
    for (int64_t seen = peak_held.load();
         held > seen && !peak_held.compare_exchange_weak(seen, held);) {
    }
    std::this_thread::sleep_for(50ms);
  };
  WorkerOptions options;
  options.slots = 2;
  options.claim_batch = 64;
  WorkerStats stats = RunWorker(url_, job, task, options);
  EXPECT_EQ(stats.completed, 24);
  EXPECT_TRUE(stats.finished_job);
  // Two running, up to two finished ones waiting (completion_delay) for their completion batch,
  // and a prefetch of what two slots finish in one ledger round trip (one or two); a batch claim
  // would have held all 24.
  EXPECT_GE(peak_held.load(), 2);
  EXPECT_LE(peak_held.load(), 6);
}

TEST_F(WorkerTest, QuickPartitionsAreClaimedAndCompletedInBatches) {
  constexpr int kPartitions = 2000;
  ledger::JobId job = SealedJob(kPartitions);
  WorkerOptions options;
  options.slots = 2;
  options.claim_batch = 64;
  WorkerStats stats = RunWorker(
      url_, job, [](const TaskContext&) {}, options);
  EXPECT_EQ(stats.completed, kPartitions);
  // A claim (or completion) batch shares one database timestamp: few distinct ones mean large
  // batches. One partition per transaction would give about one per partition.
  std::set<ledger::Timestamp> claims, completions;
  for (const auto& p : All(job)) {
    EXPECT_EQ(p.status, ledger::PartitionStatus::kDone);
    EXPECT_EQ(p.attempt, 1);
    claims.insert(*p.started_at);
    completions.insert(*p.finished_at);
  }
  EXPECT_LE(claims.size(), kPartitions / 8u);
  EXPECT_LE(completions.size(), kPartitions / 8u);
}

TEST_F(WorkerTest, ResourceLimitsHoldAcrossWorkersOfOneJob) {
  ledger::JobId job = SealedJob(30);
  std::atomic<int> running{0}, peak{0};
  PartitionTask task = [&](const TaskContext&) {
    int now = ++running;
    for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(10ms);
    --running;
  };
  WorkerOptions options;
  options.slots = 3;
  options.resources = {{"es", 2}};
  options.max_idle_poll = 20ms;
  std::vector<std::thread> workers;
  std::atomic<int64_t> completed{0};
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      WorkerOptions own = options;
      own.owner = "w" + std::to_string(w);
      completed += RunWorker(url_, job, task, own).completed;
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(completed.load(), 30);
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(peak.load(), 2);
}

// Runs a worker over p0..p2 whose task throws the error `error_for` makes for p1 (from its
// context), with an output root under `dir` when `dir` is given; returns what RunWorker threw (""
// when it returned) and p1's record.
std::pair<std::string, ledger::PartitionRecord> RunWithFailingP1(
    ledger::Ledger& ledger, const std::string& url, ledger::JobId job,
    const std::function<Error(const TaskContext&)>& error_for,
    const std::filesystem::path& dir = {}) {
  WorkerOptions options;
  options.backoff_base = 1ms;
  options.backoff_max = 1ms;
  options.max_idle_poll = 5ms;
  if (!dir.empty()) options.output_root = dir / "out";
  std::string thrown;
  try {
    RunWorker(
        url, job,
        [&](const TaskContext& context) {
          if (context.lease.key == "p1") throw error_for(context);
        },
        options);
  } catch (const Error& e) {
    thrown = e.what();
  }
  for (const auto& p : ledger.ListPartitions(job)) {
    if (p.key == "p1") return {thrown, p};
  }
  return {thrown, {}};
}

std::function<Error(const TaskContext&)> Throws(const Error& error) {
  return [error](const TaskContext&) { return error; };
}

TEST_F(WorkerTest, AFaultEveryPartitionWouldMeetStopsTheWorkerAndKeepsThePartitionsAttempts) {
  auto of_input = [](int error_number) {
    return Throws(IoErrorFromErrno(error_number, "open", "/in/p1.csv"));
  };
  auto of_output = [](const TaskContext& context) {
    return IoErrorFromErrno(EACCES, "create", (context.output_dir / "part-0.parquet").string());
  };
  const std::pair<std::string, std::function<Error(const TaskContext&)>> faults[] = {
      {"read-only", of_input(EROFS)}, {"full", of_input(ENOSPC)}, {"no access", of_output}};
  for (const auto& [name, error_for] : faults) {
    ledger::JobId job = ledger_->CreateJob("job " + name).id;
    ledger_->AddPartitions(job, std::vector<ledger::PartitionSpec>{{"p0"}, {"p1"}, {"p2"}});
    ledger_->SealJob(job);
    auto [thrown, p1] = RunWithFailingP1(*ledger_, url_, job, error_for, dir_);
    EXPECT_NE(thrown.find("what to do"), std::string::npos) << name << ": " << thrown;
    EXPECT_EQ(p1.attempt, 1) << name << ": not retried: " << thrown;
    EXPECT_EQ(p1.attempts_used, 0) << name << ": given back uncharged";
    EXPECT_EQ(p1.status, ledger::PartitionStatus::kPending) << name;
  }
}

TEST_F(WorkerTest, NoAccessToItsOwnInputFailsThePartitionAtOnceAndTheOthersGoOn) {
  ledger::JobId job = SealedJob(3);
  const Error error = IoErrorFromErrno(EACCES, "open", "/in/p1.csv");
  auto [thrown, p1] = RunWithFailingP1(*ledger_, url_, job, Throws(error), dir_);
  EXPECT_EQ(thrown, "");
  EXPECT_EQ(p1.status, ledger::PartitionStatus::kFailed);
  EXPECT_EQ(p1.attempt, 1);
  EXPECT_EQ(p1.attempts_used, 1) << "two attempts left and not one spent on it";
  EXPECT_EQ(p1.error, error.what()) << "what failed, the file and what to do";
  EXPECT_EQ(ledger_->Progress(job).done, 2);
  EXPECT_EQ(ledger_->GetJob(job).status, ledger::JobStatus::kFailed);
  // Once the user gave access: `sluice retry`, then the same work completes it.
  EXPECT_EQ(ledger_->RequeueFailed(job), 1);
  WorkerOptions options;
  options.output_root = dir_ / "out";
  RunWorker(
      url_, job, [](const TaskContext&) {}, options);
  EXPECT_EQ(ledger_->Progress(job).done, 3);
}

TEST_F(WorkerTest, DeviceErrorIsRetriedOnceThenHandledByWhoseFileItIs) {
  ledger::JobId job = SealedJob(3);
  auto [thrown, p1] =
      RunWithFailingP1(*ledger_, url_, job, Throws(IoErrorFromErrno(EIO, "read", "/in/p1.csv")));
  EXPECT_EQ(thrown, "");
  EXPECT_EQ(p1.attempt, 2);
  EXPECT_EQ(p1.attempts_used, 2) << "failed for good on its retry, the third attempt unspent";
  EXPECT_EQ(p1.status, ledger::PartitionStatus::kFailed);

  ledger::JobId out = ledger_->CreateJob("output").id;
  ledger_->AddPartitions(out, std::vector<ledger::PartitionSpec>{{"p0"}, {"p1"}, {"p2"}});
  ledger_->SealJob(out);
  auto of_output = [](const TaskContext& context) {
    return IoErrorFromErrno(EIO, "fsync", (context.output_dir / "part-0.parquet").string());
  };
  std::tie(thrown, p1) = RunWithFailingP1(*ledger_, url_, out, of_output, dir_);
  EXPECT_NE(thrown.find("Input/output error"), std::string::npos) << thrown;
  EXPECT_EQ(p1.attempt, 2);
  EXPECT_EQ(p1.attempts_used, 1) << "the retry is given back uncharged";
  EXPECT_EQ(p1.status, ledger::PartitionStatus::kPending);
}

TEST_F(WorkerTest, OtherErrorsUseUpTheirAttempts) {
  ledger::JobId job = SealedJob(3);
  // The words of a permission error in a failed command's output are not this process's.
  const Error error = IoError("command failed with exit 1: x: Permission denied");
  auto [thrown, p1] = RunWithFailingP1(*ledger_, url_, job, Throws(error));
  EXPECT_EQ(thrown, "");
  EXPECT_EQ(p1.attempt, 3);
  EXPECT_EQ(p1.status, ledger::PartitionStatus::kFailed);
  EXPECT_NE(p1.error.find("Permission denied"), std::string::npos);
}

}  // namespace
}  // namespace sluice::jobs
