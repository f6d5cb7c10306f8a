// The members of BatchedJob for a job submitted to the ledger (batched_job.h's PreparedBatch;
// batch_join.h lays out its stages): Prepare on the submitting host, ComputeSubmitted and Publish
// on the workers.
#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/jobs/batch/batched_run.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunk_compute.h"
#include "sluice/jobs/batch/chunk_partition.h"
#include "sluice/jobs/job_stages.h"

namespace sluice {
namespace {

namespace stdfs = std::filesystem;
using batched_run::Chunking;
using batched_run::RemoveTree;
using batched_run::RunContext;

// Removes every object or file under a work directory (local or s3://); what is gone is fine.
void RemoveWorkDir(const std::string& dir) {
  if (!fs::IsS3Url(dir)) return RemoveTree(dir);
  auto store = fs::FileSystemFor(dir);
  std::vector<std::string> pending = {dir};
  while (!pending.empty()) {
    const std::string next = pending.back();
    pending.pop_back();
    fs::DirectoryListing listing = store->ListDirectory(next);
    for (const fs::FileInfo& file : listing.files) store->Delete(file.path);
    for (std::string& sub : listing.directories) pending.push_back(std::move(sub));
  }
}

// The work directory, normalized. It is removed whole once the job is published: InvalidArgument
// when that would remove the output or its cache.
std::string CheckedWorkDir(const std::string& work_dir, const std::string& out) {
  const std::string dir = batch::NormalizeLocation(work_dir);
  if (dir == out || out.starts_with(dir + "/") || dir.starts_with(out + "/.sluice")) {
    throw InvalidArgument(
        "the work directory {} holds the output {} or its cache; give a --work-dir of its own", dir,
        out);
  }
  return dir;
}

// Moves the split files of the chunks to compute under the work directory; the rest are dropped
// with the local split directory.
void MoveSplitFiles(const RunContext& ctx, PreparedBatch& prepared) {
  for (size_t i = 0; i < ctx.sources.size() && !prepared.split_skipped; ++i) {
    batch::MakeDirectories(batch::JoinLocation(prepared.work_dir, ctx.sources[i].name));
    for (int c : prepared.to_compute) {
      batch::SplitChunk& chunk = prepared.chunk_inputs[i][static_cast<size_t>(c)];
      batch::MoveLocalFileInto(chunk.path, prepared.SplitPath(i, c));
      chunk.path = prepared.SplitPath(i, c);
    }
  }
  RemoveTree(ctx.split_dir());
  RemoveTree(ctx.scratch_dir());
}

// A submitted job's context on a worker: what Prepare recorded, the state directory its own.
RunContext SubmittedContext(const BatchedOptions& options, const std::vector<ChunkStep>& steps,
                            const PreparedBatch& prepared, const std::filesystem::path& state) {
  RunContext ctx{options, steps, Chunking(options), prepared.out, state};
  for (const std::string& name : prepared.input_names)
    ctx.sources.push_back({name, nullptr, {}, 0});
  ctx.chunk_inputs = prepared.chunk_inputs;
  // Without a split (every input unchanged) the chunks to compute lack only steps: no files.
  for (size_t i = 0; i < ctx.sources.size() && !prepared.split_skipped; ++i) {
    for (int c : prepared.to_compute) {
      ctx.chunk_inputs[i][static_cast<size_t>(c)].path = prepared.SplitPath(i, c);
    }
  }
  ctx.input_sources = prepared.input_sources;
  for (const ChunkOutcome& o : prepared.chunks) {
    ctx.keys.push_back(o.key);
    std::vector<std::string> step_keys;
    for (const StepOutcome& step : o.steps) step_keys.push_back(step.key);
    ctx.step_keys.push_back(std::move(step_keys));
  }
  return ctx;
}

// The stages of a submitted job: its chunks, then one publish partition.
jobs::StagePlan SubmittedStages(int64_t max_attempts) {
  return {{std::string(batch::kChunkStage), std::string(batch::kPublishStage)},
          [max_attempts](size_t, const std::vector<ledger::PartitionRecord>&) {
            return std::vector<ledger::PartitionSpec>{
                {jobs::StageKey(batch::kPublishStage, 0), "{}", max_attempts}};
          }};
}

}  // namespace

using batched_run::CheckedOutputDir;
using batched_run::FinishRun;
using batched_run::ListOutput;
using batched_run::OpenAndCheck;
using batched_run::ReadPreviousManifest;
using batched_run::SplitAndClassify;
using batched_run::StartReport;

PreparedBatch BatchedJob::Prepare(const std::vector<BatchInput>& inputs,
                                  const std::string& output_dir, const std::string& work_dir,
                                  const RunOptions& run, BatchedReport& report) const {
  RunContext ctx{options_, steps_, Chunking(options_),
                 CheckedOutputDir(options_, inputs, output_dir),
                 BatchStateDir(options_, output_dir)};
  CheckedWorkDir(work_dir, ctx.out);
  OpenAndCheck(ctx, inputs);
  batch::ChunkCache cache(ctx.cache_dir());
  batch::OutputSchemaGuard guard;
  PreparedBatch prepared;
  prepared.to_compute = SplitAndClassify(ctx, cache, guard, run, report);
  prepared.out = ctx.out;
  prepared.work_dir = CheckedWorkDir(work_dir, ctx.out);
  for (const batch::SplitSource& source : ctx.sources) prepared.input_names.push_back(source.name);
  prepared.chunk_inputs = ctx.chunk_inputs;
  prepared.input_sources = ctx.input_sources;
  prepared.chunks = report.chunks;
  prepared.split_skipped = report.split_skipped;
  batch::MakeDirectories(prepared.work_dir);
  MoveSplitFiles(ctx, prepared);
  // The state directory of an s3:// output holds nothing now; neither may the default .sluice
  // that holds it (removing a directory that is not empty fails, and is left).
  std::error_code kept;
  if (stdfs::remove(ctx.state, kept) && options_.state_dir.empty() && fs::IsS3Url(ctx.out)) {
    stdfs::remove(ctx.state.parent_path(), kept);
  }
  return prepared;
}

JoinedBatchReport BatchedJob::ComputeSubmitted(const PreparedBatch& prepared,
                                               const std::string& ledger_url, int64_t job,
                                               const BatchWorkerOptions& worker,
                                               const stdfs::path& scratch,
                                               const RunOptions& run) const {
  BatchedOptions options = options_;
  options.ledger_url = ledger_url;
  if (worker.chunks_in_flight > 0) options.chunks_in_flight = worker.chunks_in_flight;
  RunContext ctx = SubmittedContext(options, steps_, prepared, scratch);
  RemoveTree(ctx.scratch_dir());
  batch::MakeDirectories(ctx.scratch_dir().string());
  batch::StepLog step_log;
  batch::ChunkCache cache(ctx.cache_dir());
  batch::OutputSchemaGuard guard;
  JoinedBatchReport joined;
  StartReport(ctx, joined.report);
  joined.report.chunks = prepared.chunks;
  std::optional<BatchedReport> published;
  const jobs::StagePlan plan = SubmittedStages(options.max_attempts);
  batch::ChunkComputeRequest request{&options,
                                     ctx.chunking,
                                     &ctx.sources,
                                     &ctx.chunk_inputs,
                                     &ctx.keys,
                                     prepared.to_compute,
                                     ctx.out,
                                     ctx.state,
                                     {table_task_, file_task_, ctx.chunking.chunks, options.codec,
                                      ctx.scratch_dir(), &steps_, &step_log}};
  request.submitted = batch::ChunkComputeRequest::Submitted{
      job, worker.claim_batch, worker.lease,
      [&](const jobs::TaskContext&) { published = Publish(prepared, scratch, run); },
      [plan](ledger::Ledger& ledger, ledger::JobId id) { jobs::AdvanceStages(ledger, id, plan); }};
  batch::ComputeChunks(request, cache, guard, run, joined.report);
  for (const ChunkOutcome& o : joined.report.chunks) joined.attempts += o.attempts;
  RemoveTree(ctx.scratch_dir());
  RemoveTree(ctx.split_dir());
  if (published) {
    published->ledger_job = joined.report.ledger_job;
    published->compute = std::move(joined.report.compute);
    published->compute_tasks = std::move(joined.report.compute_tasks);
    joined.report = std::move(*published);
    joined.published = true;
  }
  return joined;
}

BatchedReport BatchedJob::Publish(const PreparedBatch& prepared, const stdfs::path& state,
                                  const RunOptions& run) const {
  const auto started = std::chrono::steady_clock::now();
  RunContext ctx = SubmittedContext(options_, steps_, prepared, state);
  batch::StepLog step_log;
  ctx.step_log = &step_log;
  // Every chunk is in the cache now (the stage before is done): nothing reads the split again.
  RemoveWorkDir(prepared.work_dir);
  ctx.listing = ListOutput(ctx.out);
  ctx.previous = ReadPreviousManifest(ctx.out);
  batch::ChunkCache cache(ctx.cache_dir());
  BatchedReport report;
  StartReport(ctx, report);
  report.chunks = prepared.chunks;
  report.split_skipped = prepared.split_skipped;
  batch::OutputSchemaGuard guard;
  for (ChunkOutcome& o : report.chunks) {
    for (const auto& [name, rows] : o.rows_in) report.rows_in += rows;
    // Steps that were to run ran on some worker; the cache tells whether they succeeded.
    for (StepOutcome& step : o.steps) {
      if (step.status != "hit") step.status = "ran";
    }
    std::optional<batch::CacheEntry> entry = cache.Find(o.key);
    if (entry && entry->has_file) guard.Check(o.chunk, entry->schema);
  }
  return FinishRun(ctx, cache, guard, run, started, finalize_, finalize_options_, report);
}

}  // namespace sluice
