#include "sluice/jobs/staged_worker.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/heap_tuning.h"
#include "sluice/jobs/lost_output.h"

namespace sluice::jobs {
namespace {

constexpr ledger::Duration kBarrierPoll = std::chrono::milliseconds(100);

// The run options of one of `slots` tasks: an even share of the budget and threads, no report.
RunOptions TaskShare(const RunOptions& run, int slots) {
  const int threads =
      run.cpu_threads > 0 ? run.cpu_threads : static_cast<int>(std::thread::hardware_concurrency());
  RunOptions share = run;
  share.memory_budget = run.memory_budget / slots;
  share.cpu_threads = std::max(1, threads / slots);
  share.report_path.clear();
  share.progress = ProgressMode::kOff;
  return share;
}

}  // namespace

StagedWorkerResult RunStagedWorker(const std::string& ledger_url, ledger::JobId job,
                                   const StagePlan& plan, const OutputCommitter& committer,
                                   const std::string& work_dir, WorkerOptions worker,
                                   const RunOptions& run, const StagedTask& task) {
  // Before the worker's threads start, so that they share one tuned arena: tasks pass batches and
  // row groups of MiBs between threads, and with glibc's defaults every task faulted its buffers
  // in afresh.
  TuneHeapForStreaming();
  worker.output_root = work_dir;
  // A stage's partitions appear at once when the one before is done: workers waiting at the
  // barrier look often, or the stage starts up to max_idle_poll late on every host.
  worker.max_idle_poll = std::min<ledger::Duration>(worker.max_idle_poll, kBarrierPoll);
  worker.on_idle = [&plan, &committer](ledger::Ledger& l, ledger::JobId id) {
    try {
      AdvanceStages(l, id, plan);
    } catch (const Error& e) {
      // Planning read output that a worker finishing the job has just removed.
      if (l.GetJob(id).status != ledger::JobStatus::kRunning) return;
      const std::vector<std::string> lost = LostInputKeys(e);
      if (lost.empty()) throw;
      // Output of the stage before is gone: those partitions run again, then the barrier is met
      // again and plans the stage from their new output.
      ReopenLostInputs(l, id, committer, lost, e.what());
    }
  };
  const RunOptions share = TaskShare(run, std::max(worker.slots, 1));
  StagedWorkerResult result;
  result.stats = RunWorker(
      ledger_url, job, [&task, &share](const TaskContext& context) { task(context, share); },
      worker, run.cancel);
  auto ledger = ledger::OpenLedger(ledger_url, worker.ledger_options);
  result.status = ledger->GetJob(job).status;
  result.errors = FailedPartitionErrors(*ledger, job);
  if (result.status == ledger::JobStatus::kDone) RemoveWorkDirectory(work_dir);
  return result;
}

}  // namespace sluice::jobs
