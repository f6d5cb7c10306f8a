// A `sluice batch` job across hosts. SubmitBatch defines it in the ledger without computing a
// chunk; `sluice worker --job NAME` on any host that reaches the ledger and the job's storage
// joins it (JoinBatch), and `sluice slurm -- batch ...` does both on a Slurm cluster.
//
// The split runs once, at submit, on the submitting host: every chunk takes rows from every
// input file, so a split spread over hosts would be a shuffle of its own, while one pass on one
// host is what `sluice batch` does today and leaves workers a job whose every partition can start
// at once. The split files of the chunks to compute go under the work directory (an s3:// prefix
// or a directory every host mounts, default OUT.sluice-batch); the job's stored spec holds the
// command, the steps, and every chunk's key and input fingerprints (BatchCommandSpec,
// PreparedBatch), so no worker reads an input or a submitting host's disk.
//
// The job is staged (jobs/job_stages.h): "chunk/NNNNN" per chunk to compute (a worker fetches
// the chunk's split files into its own scratch directory, runs the command, stores the output in
// the cache under OUT/.sluice/cache and runs the steps, as `sluice batch` does), then one
// "publish/00000", which the ledger leases to one worker once every chunk is done: it deletes the
// work directory, publishes the chunk files and manifest by the rules of batched_job.h (nothing
// half-written; a publish retried after a lost lease redoes the same idempotent steps) and runs
// --finalize. A chunk that fails its attempts fails the job, and nothing is published.
//
// Thread safety: each call opens its own ledger connection; call from one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/batch/batch_command_spec.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice::batch {

inline constexpr std::string_view kBatchJobKind = "batch";

// OUT.sluice-batch (beside OUT, never in it: the output holds only its chunk files).
std::string DefaultBatchWorkDir(const std::string& output);

struct SubmittedBatch {
  std::string job_name;
  int64_t chunks_to_compute = 0;
  bool resumed = false;  // the same work was submitted before and is still running
  BatchedReport report;  // the split and the classification
};

// Checks, splits and classifies as `sluice batch` does (the same errors), moves the split files
// under work_dir and creates or takes up the job.
SubmittedBatch SubmitBatch(const std::string& ledger_url, const BatchCommandSpec& spec,
                           const std::vector<BatchInput>& inputs, const std::string& output,
                           const std::string& work_dir, const RunOptions& run);

struct JoinedBatch {
  JoinedBatchReport joined;  // joined.published: this worker published the output
  ledger::JobStatus status = ledger::JobStatus::kRunning;
  std::vector<std::string> errors;  // "key: error" per failed partition
  std::string output;
};

// Works on the job until it is complete, claiming as `worker` says. InvalidArgument for a job of
// another kind.
JoinedBatch JoinBatch(const std::string& ledger_url, const std::string& job_name,
                      const BatchWorkerOptions& worker, const RunOptions& run);

// The output and work directory a stored batch job names (for a worker's share of --memory).
std::vector<std::string> BatchJobPaths(const ledger::JobRecord& job);

}  // namespace sluice::batch
