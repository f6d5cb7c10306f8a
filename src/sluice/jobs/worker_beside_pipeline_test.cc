// A worker handing partitions to a stand-in pipeline on the caller's thread, against SQLite.
#include "sluice/jobs/worker_beside_pipeline.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "sluice/base/error.h"
#include "sluice/flow/completion.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {
namespace {

struct Unit {
  std::string key;
  Completion<> done;
};
using UnitPtr = std::shared_ptr<Unit>;

class WorkerBesidePipelineTest : public SqliteLedgerFixture {
 protected:
  void SetUp() override {
    SqliteLedgerFixture::SetUp();
    job_ = ledger_->CreateJob("job").id;
    std::vector<ledger::PartitionSpec> specs;
    for (int i = 0; i < 12; ++i) specs.push_back({"p" + std::to_string(i)});
    ledger_->AddPartitions(job_, specs);
    ledger_->SealJob(job_);
    options_.slots = 3;
    options_.backoff_base = std::chrono::milliseconds(1);
    options_.max_idle_poll = std::chrono::milliseconds(10);
  }

  // Each task hands a unit over and waits for the pipeline to settle it.
  PartitionTask HandOverTask() {
    return [this](const TaskContext& ctx) {
      auto unit = std::make_shared<Unit>();
      unit->key = ctx.lease.key;
      if (!queue_.Push(unit)) {
        unit->done.Fail(std::make_exception_ptr(Cancelled("the pipeline has stopped")));
      }
      unit->done.Wait(ctx.cancel);
    };
  }

  ledger::JobId job_ = 0;
  WorkerOptions options_;
  HandOffQueue<UnitPtr> queue_;
};

TEST_F(WorkerBesidePipelineTest, WorkerEndClosesTheQueueSoThePipelineEnds) {
  CancellationSource stop;
  std::multiset<std::string> settled;
  WorkerBesidePipelineErrors errors =
      RunWorkerBesidePipeline(url_, job_, HandOverTask(), options_, stop, queue_, "failed", [&] {
        // Returns only once the worker finished the job and closed the queue.
        while (std::optional<UnitPtr> unit = queue_.Pop()) {
          settled.insert((*unit)->key);
          (*unit)->done.Succeed();
        }
      });
  EXPECT_EQ(errors.pipeline, nullptr);
  EXPECT_EQ(errors.worker, nullptr);
  EXPECT_FALSE(stop.cancelled());
  EXPECT_EQ(settled.size(), 12u);
  EXPECT_EQ(std::set<std::string>(settled.begin(), settled.end()).size(), 12u);
  EXPECT_EQ(ledger_->Progress(job_).done, 12);
}

TEST_F(WorkerBesidePipelineTest, PipelineFailureStopsTheWaitingTasksAndTheWorker) {
  CancellationSource stop;
  WorkerBesidePipelineErrors errors = RunWorkerBesidePipeline(
      url_, job_, HandOverTask(), options_, stop, queue_, "the test pipeline failed", [&] {
        // Takes one unit and fails without settling it: its task must not wait forever.
        queue_.Pop();
        throw InvalidData("bad item");
      });
  ASSERT_NE(errors.pipeline, nullptr);
  EXPECT_THROW(std::rethrow_exception(errors.pipeline), Error);
  EXPECT_TRUE(stop.cancelled());
  EXPECT_EQ(stop.token().reason(), "the test pipeline failed");
  // The worker stopped on the cancellation, releasing what it held.
  ASSERT_NE(errors.worker, nullptr);
  try {
    std::rethrow_exception(errors.worker);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCancelled);
  }
  EXPECT_EQ(ledger_->Progress(job_).done, 0);
  EXPECT_EQ(ledger_->Progress(job_).running, 0);
}

}  // namespace
}  // namespace sluice::jobs
