// RunStagedWorker: one worker's part in a staged job (job_stages.h), as `sluice worker` runs a
// shuffle or a bloom job: it claims the job's partitions until the job is complete, plans the next
// stage from the idle hook when it finds the one before done (polling often at a barrier, so that
// a stage starts soon on every host), reruns partitions whose committed output the planner found
// gone (LostInputError, lost_output.h), gives each task an even share of the worker's budget and
// threads, and removes the work directory once the job is done.
//
// Thread safety: each call runs one worker; tasks run on its threads (worker.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/worker.h"

namespace sluice::jobs {

struct StagedWorkerResult {
  WorkerStats stats;
  ledger::JobStatus status = ledger::JobStatus::kRunning;
  std::vector<std::string> errors;  // "<partition key>: <error>" of failed partitions
};

// A task of the job, given its share of the worker's RunOptions.
using StagedTask = std::function<void(const TaskContext&, const RunOptions&)>;

// `committer` publishes into `work_dir`, where the stages' outputs live; worker.output_root is
// set to it. `run` is the whole worker's budget.
StagedWorkerResult RunStagedWorker(const std::string& ledger_url, ledger::JobId job,
                                   const StagePlan& plan, const OutputCommitter& committer,
                                   const std::string& work_dir, WorkerOptions worker,
                                   const RunOptions& run, const StagedTask& task);

}  // namespace sluice::jobs
