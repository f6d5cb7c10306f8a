// Batched jobs: run a dataframe task chunk by chunk, by grouping columns, with a per-chunk cache.
//
//   sluice::BatchedJob job = sluice::Batched(PerCustomerSums,
//                                            {.by = {"customer_id"}, .chunks = 64,
//                                             .name = "sums", .version = "2"});
//   sluice::BatchedReport report =
//       job.Run({sluice::BatchInput::Parquet("orders", {"orders/*.parquet"}),
//                sluice::BatchInput::Csv("refunds", {"refunds.csv"})},
//               "out/", {.memory_budget = 2_GiB});
//
// Steps after the task and a finalize step (batched_step.h):
//
//   sluice::BatchedJob job = sluice::Batched(PerCustomerSums, options)
//                                .Then(LoadChunk, {.name = "load", .concurrency = 128})
//                                .Finalize(SwapStagingTable);
//
// Inputs and the output may be local or on an object store (s3://bucket/prefix, through
// fs::FileSystemFor). The chunk cache lives with the output, in <out>/.sluice/cache; the ledger,
// the split files and the task's outputs before they are cached live in a local state directory
// (BatchStateDir: <out>/.sluice for a local output).
//
// Run, in order:
//  1. Opens every input and resolves the grouping columns (errors name the input and column).
//  2. Split (chunk_split.h): every input into N chunk files by the stable hash of the grouping
//     columns (chunking.h), fingerprinting each chunk's rows per input. Skipped when every
//     input is Parquet and unchanged since the last run (same files, sizes, modification times
//     or ETags, and schema) and the cache holds every chunk (see reuse_unchanged_inputs).
//  3. Keys (chunk_cache.h): per chunk from the task's name and version, the chunking and the
//     chunk's input fingerprints. A chunk whose key is in the cache is a hit; the others are
//     computed.
//  4. Compute (chunk_compute.h): the chunks to compute are partitions of a ledger job (default
//     SQLite at <state>/ledger.db) named after the task, the output directory and the set of
//     keys; the worker loop (jobs/worker.h) claims them with leases and retries failed ones up to
//     max_attempts with backoff, and each claimed chunk runs through the compute pipeline
//     (chunk_pipeline.h) inside the memory budget. A run killed midway and started again finds the
//     chunks it finished in the cache and the others in the same ledger job; leases held by dead
//     processes of this host are released at once rather than waiting for their expiry. A partition
//     whose chunk the cache already holds (stored just before the kill, not yet marked done) is
//     completed when claimed without running the task, and counts no attempt of this run.
//     Each chunk then runs the steps whose entries it lacks (a chunk whose task is a hit runs only
//     those), each step a stage of the same pipeline.
//  5. Publish: each chunk's cached output is copied to <out>/chunk-NNNNN.parquet, appearing whole
//     (locally a hard link renamed over the previous run's file; on S3 an upload completed at
//     its end), unless the previous manifest lists that file with the same key and it is there
//     with its size; files of chunks that no longer exist or have no output are removed; the
//     manifest is written last (batch_manifest.h), and when any listed file changes the old
//     manifest is deleted first, so a manifest never names a file that is not its chunk's. Cache
//     entries that the manifest does not name are pruned. Split files are deleted.
// The report says per chunk: hit, miss (no earlier output), recomputed (with the reason: which
// input changed, the task version, the chunking) or failed (with the error). It is also written
// to <state>/last_report.json. Then, when the job has a finalize step and its key (the chunk set
// with every step) differs from the one recorded in <out>/.sluice/finalized.json, finalize runs
// and records its key; when it fails for good, Run writes the report and throws (the chunks stay
// cached and published; the next run retries finalize alone). If any chunk failed for good, Run
// writes the report, leaves the previous manifest and files in place and throws an error naming the
// failed chunks.
//
// Across hosts (batch_join.h, `sluice batch --submit`): steps 1 to 3 run once on the submitting
// host (Prepare), the chunks on any workers (ComputeSubmitted), step 5 on one of them (Publish);
// see PreparedBatch below.
//
// One run at a time per output directory.
//
// Thread safety: a BatchedJob is immutable; Run may be called from one thread at a time per
// output directory. The task is called from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/io/parquet/format_enums.h"
#include "sluice/jobs/batch/batch_input.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/batched_step.h"
#include "sluice/jobs/batch/batched_task.h"
#include "sluice/jobs/batch/chunk_split.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice {

struct BatchedOptions {
  std::vector<std::string> by;  // grouping columns, present in every input with one type
  int chunks = 64;
  std::string name = "task";  // the task's identity in cache keys: change version when the
  std::string version = "1";  // task's code changes, and every chunk is recomputed
  int64_t max_attempts = 3;   // per chunk
  std::chrono::milliseconds retry_delay{1000};  // backoff base between attempts
  std::string ledger_url;                       // default: sqlite at <state>/ledger.db
  // A local directory for the ledger, the split files and the task's outputs before they are
  // cached; default: BatchStateDir.
  std::string state_dir;
  int chunks_in_flight = 0;  // chunks claimed at once; 0: 2 x CPU threads + 2
  parquet::CompressionCodec codec = parquet::CompressionCodec::kSnappy;  // output files
  // Skip the split when every input is Parquet, its files have the paths, sizes, modification
  // times (objects: ETags) and schema the previous manifest recorded, and every chunk's key is then
  // in the cache (the fingerprints are taken from the manifest). False re-reads every input every
  // run.
  bool reuse_unchanged_inputs = true;
  // Held by the ledger across every process of the job, e.g. {{"warehouse", 128}}: each step
  // attempt holds one unit of each while it runs (step_permits.h), so chunks being computed hold
  // none; without steps, each chunk holds one from its claim until its task is done.
  std::vector<ledger::ResourceLimit> resources;
};

enum class ChunkStatus { kHit, kMiss, kRecomputed, kFailed };
// "hit", "miss", "recomputed", "failed".
std::string_view ChunkStatusName(ChunkStatus status);

// What one step did for one chunk: "hit" (its entry existed), "ran", "failed", or "not run"
// (the task or an earlier step failed).
struct StepOutcome {
  std::string name;
  std::string status;
  std::string key;
  int64_t attempts = 0;  // this run's
  std::string error;     // the last failed attempt's
};

struct FinalizeOutcome {
  std::string status;  // "" (no finalize step), "hit" (same key as recorded), "ran", "failed"
  std::string key;
  int64_t attempts = 0;
  std::string error;
};

struct ChunkOutcome {
  int chunk = 0;
  ChunkStatus status = ChunkStatus::kMiss;
  std::string reason;
  std::string key;
  std::map<std::string, int64_t> rows_in;  // per input
  int64_t rows_out = 0;
  std::string file;  // relative to the output directory; empty without output
  int64_t bytes = 0;
  int64_t attempts = 0;  // attempts at the task this run made
  std::string error;
  std::vector<StepOutcome> steps;  // one per step of the job, in order
};

struct BatchedReport {
  std::string output_dir;
  std::string task_name, task_version;
  std::string chunking;  // ChunkingConfig::Describe()
  std::vector<ChunkOutcome> chunks;
  int64_t hits = 0, misses = 0, recomputed = 0, failed = 0;
  int64_t rows_in = 0, rows_out = 0;
  int64_t cache_pruned = 0;
  std::string ledger_job;      // empty when nothing was computed
  bool split_skipped = false;  // every input unchanged: nothing was read
  RunReport split;
  RunReport compute;  // empty when nothing was computed; the steps are stages of it
  // The compute job's partition attempts (jobs/task_timeline.h), emitted as compute's "tasks"
  // with each chunk's output bytes; null when nothing was computed.
  nlohmann::json compute_tasks;
  FinalizeOutcome finalize;
  double wall_seconds = 0;
  int64_t peak_rss = 0;

  nlohmann::json ToJson() const;
  // Counts, the verdicts of both phases, finalize, and one line per chunk that was not a hit
  // (task or step).
  std::string Summary() const;
};

// A batched run split across hosts (batch_join.h). BatchedJob::Prepare does steps 1 to 3 once,
// on the submitting host, and moves the split files of the chunks to compute to
// <work_dir>/<input>/chunk-NNNNN.parquet (a local directory every host mounts or an s3:// prefix);
// workers on any host compute those chunks from there into the cache (ComputeSubmitted), and
// whichever worker claims the job's one publish partition runs step 5 and finalize (Publish).
// Everything else a worker needs is in this value, stored in the ledger with the job.
struct PreparedBatch {
  std::string out;       // as CheckedOutputDir gives it
  std::string work_dir;  // normalized
  std::vector<std::string> input_names;
  std::vector<std::vector<batch::SplitChunk>> chunk_inputs;  // [input][chunk]; paths: SplitPath
  std::map<std::string, batch::ManifestSource> input_sources;
  std::vector<ChunkOutcome> chunks;  // as classified: status, reason, key, rows_in, steps
  std::vector<int> to_compute;
  bool split_skipped = false;

  std::string SplitPath(size_t input, int chunk) const;
  nlohmann::json ToJson() const;
  // InvalidData for anything malformed.
  static PreparedBatch FromJson(const nlohmann::json& json);
};

// What a worker did for a submitted job: the compute phase of the chunks it claimed and, when it
// ran the publish partition, the whole job's report (published = true).
// How a worker of a submitted job claims its chunks (`sluice worker`'s flags); 0 keeps the job's.
struct BatchWorkerOptions {
  int chunks_in_flight = 0;
  int64_t claim_batch = 0;  // at most this many chunks a claim
  ledger::Duration lease{0};
};

struct JoinedBatchReport {
  BatchedReport report;
  int64_t attempts = 0;  // at chunks' tasks, by this worker
  bool published = false;
};

class BatchedJob {
 public:
  BatchedJob(TableTask task, BatchedOptions options);
  BatchedJob(FileTask task, BatchedOptions options);

  const BatchedOptions& options() const { return options_; }
  const std::vector<ChunkStep>& steps() const { return steps_; }

  // Adds a step after the task (and after the steps added before). InvalidArgument for a name
  // given twice or a concurrency or max_attempts below 1. The name defaults to "then<N>".
  BatchedJob& Then(StepTask step, StepOptions options = {});
  // Sets the finalize step. InvalidArgument without a name or for max_attempts below 1.
  BatchedJob& Finalize(FinalizeTask finalize, FinalizeOptions options = {});

  // InvalidArgument for bad options or inputs (names, grouping columns, types), and the store's
  // error for an unreachable input or output (a missing bucket), before anything is written;
  // after the compute phase, an Error naming every chunk that failed for good. output_dir is a
  // local directory or an s3:// prefix.
  BatchedReport Run(const std::vector<BatchInput>& inputs, const std::string& output_dir,
                    const RunOptions& run = {}) const;

  // Steps 1 to 3 of Run for a job that workers compute (PreparedBatch), with the same checks
  // and errors; report gets the split phase. The local state directory is left empty.
  PreparedBatch Prepare(const std::vector<BatchInput>& inputs, const std::string& output_dir,
                        const std::string& work_dir, const RunOptions& run,
                        BatchedReport& report) const;
  // A worker of the submitted ledger job `job` (ledger_url; its partitions as batch_join.h
  // lays them out): computes the chunks it claims (their split files fetched from the work
  // directory into `scratch`, a local directory of its own) until the job is complete, and runs
  // Publish when it claims the publish partition. Rethrows the pipeline's or the worker's error.
  JoinedBatchReport ComputeSubmitted(const PreparedBatch& prepared, const std::string& ledger_url,
                                     int64_t job, const BatchWorkerOptions& worker,
                                     const std::filesystem::path& scratch,
                                     const RunOptions& run) const;
  // Step 5 and finalize of a submitted job once every chunk to compute is done: the split files
  // are deleted, then the chunks are published from the cache by Run's rules. The same errors as
  // Run's.
  // `state` is a local directory of this process's, for the last report.
  BatchedReport Publish(const PreparedBatch& prepared, const std::filesystem::path& state,
                        const RunOptions& run) const;

 private:
  TableTask table_task_;
  FileTask file_task_;
  BatchedOptions options_;
  std::vector<ChunkStep> steps_;
  FinalizeTask finalize_;
  FinalizeOptions finalize_options_;
};

// The local state directory of a run: options.state_dir when set, else <out>/.sluice for a local
// output, else .sluice/batch-<hash of the URL> under the working directory for an s3:// one (so
// runs to different prefixes never share split files).
std::filesystem::path BatchStateDir(const BatchedOptions& options, const std::string& output_dir);

inline BatchedJob Batched(TableTask task, BatchedOptions options) {
  return BatchedJob(std::move(task), std::move(options));
}
inline BatchedJob BatchedFiles(FileTask task, BatchedOptions options) {
  return BatchedJob(std::move(task), std::move(options));
}

}  // namespace sluice
