// ComputeChunks: the compute phase of a batched run (batched_job.h, step 4). The chunks missing
// from the cache, or lacking a step's entry (batched_step.h), become partitions of a ledger job
// named after the exact set of chunk keys and steps, so a re-run of the same work after a crash
// finds the job again, and any change of inputs, task, steps or chunking is a new job. The worker
// loop (jobs/worker.h) claims them with leases, retries and the job's resource limits (held by a
// claimed chunk's task without steps, else only while a step runs: step_permits.h), and each
// claimed chunk runs through the
// chunk pipeline (chunk_pipeline.h), which stores its output in the cache and then runs the steps
// it lacks. Leases of dead processes of this host are released at once; a partition whose chunk
// the cache already holds (stored just before a kill, not marked done) runs only the steps it
// lacks, or completes at once.
//
// Ownership: the caller owns everything the request points at, for the duration of the call.
// Thread safety: call from one thread; the task runs on many at once.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunk_pipeline.h"
#include "sluice/jobs/batch/chunk_split.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/jobs/worker.h"

namespace sluice::batch {

struct ChunkComputeRequest {
  const BatchedOptions* options = nullptr;
  ChunkingConfig chunking;
  const std::vector<SplitSource>* sources = nullptr;
  const std::vector<std::vector<SplitChunk>>* chunk_inputs = nullptr;  // [input][chunk]
  const std::vector<std::string>* keys = nullptr;                      // cache key per chunk
  std::vector<int> to_compute;                                         // not empty
  std::string out;              // the output directory or s3:// prefix
  std::filesystem::path state;  // the local state directory: the default ledger
  ChunkTaskSpec task;
  // Set for a job submitted to the ledger (batched_job.h's PreparedBatch) instead of one made
  // here from the keys: its chunk partitions ("chunk/NNNNN") fetch their split files from
  // `chunk_inputs`' paths into `state` at their claim, its other partitions run `other_stage`,
  // and on_idle advances its stages (jobs/job_stages.h).
  struct Submitted {
    int64_t job = 0;
    int64_t claim_batch = 0;    // > 0: at most this many chunks a claim
    ledger::Duration lease{0};  // > 0: instead of the worker's default
    std::function<void(const jobs::TaskContext&)> other_stage;
    std::function<void(ledger::Ledger&, ledger::JobId)> on_idle;
  };
  std::optional<Submitted> submitted;
};

// Fills report.ledger_job and report.compute, and each chunk's attempts this run made; chunks
// that failed for good get kFailed and their error. Rethrows the pipeline's or the worker's error.
void ComputeChunks(const ChunkComputeRequest& request, ChunkCache& cache, OutputSchemaGuard& guard,
                   const RunOptions& run, BatchedReport& report);

}  // namespace sluice::batch
