#include "sluice/jobs/batch/chunk_compute.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "sluice/base/cores.h"
#include "sluice/base/log.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/chunk_partition.h"
#include "sluice/jobs/batch/chunk_run.h"
#include "sluice/jobs/batch/step_permits.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/lease_owner.h"
#include "sluice/jobs/task_timeline.h"
#include "sluice/jobs/worker.h"
#include "sluice/jobs/worker_beside_pipeline.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/xxhash64.h"

namespace sluice::batch {
namespace {

// The ledger job for this exact set of chunk keys. An earlier job of the same keys whose
// partition for a chunk to compute is already done cannot compute it again (its cached output
// was pruned since, by a run with other settings); the next generation, "NAME #2", "#3"..., is
// used instead.
ledger::JobRecord OpenChunkJob(ledger::Ledger& ledger, const std::string& base_name,
                               const std::set<std::string>& partition_keys,
                               const std::string& options_json) {
  auto check = [&](const ledger::JobRecord& existing) {
    for (ledger::PartitionId after = 0;;) {
      auto page = ledger.ListPartitions(
          existing.id, {.status = ledger::PartitionStatus::kDone, .after_id = after});
      if (page.empty()) return jobs::ExistingJob::kResume;
      for (const ledger::PartitionRecord& p : page) {
        after = p.id;
        if (partition_keys.contains(p.key)) return jobs::ExistingJob::kUseNextName;
      }
    }
  };
  jobs::OpenedJob opened = jobs::CreateOrResumeJob(ledger, base_name, options_json, check);
  if (opened.resumed) Log(LogLevel::kInfo, "resuming {}", opened.record.name);
  return opened.record;
}

// Creates or resumes the job of the chunks to compute, with every one of them as a partition.
ledger::JobRecord PrepareChunkJob(const ChunkComputeRequest& request, ledger::Ledger& ledger) {
  const BatchedOptions& options = *request.options;
  std::string all_keys;
  for (const std::string& key : *request.keys) all_keys += key;
  // The steps are part of the work: another step set is another job.
  for (const ChunkStep& step : *request.task.steps) {
    all_keys += "|" + step.options.name + "@" + step.options.version;
  }
  const std::string identity =
      fmt::format("{:016x}", XxHash64(all_keys.data(), all_keys.size(), 0));
  const std::string base_name =
      fmt::format("batch {} -> {} @{}", options.name, request.out, identity);
  const nlohmann::json job_options = {{"task", options.name},
                                      {"version", options.version},
                                      {"by", request.chunking.by},
                                      {"chunks", request.chunking.chunks},
                                      {"output", request.out}};
  std::set<std::string> partition_keys;
  for (int c : request.to_compute) partition_keys.insert(ChunkPartition::LedgerKey(c));
  ledger::JobRecord job = OpenChunkJob(ledger, base_name, partition_keys, job_options.dump());
  jobs::ReleaseLeasesOfDeadProcesses(ledger, job.id);
  ledger.RequeueFailed(job.id);
  std::vector<ledger::PartitionSpec> specs;
  for (int c : request.to_compute) {
    specs.push_back(
        ChunkPartition{c, (*request.keys)[static_cast<size_t>(c)]}.ToSpec(options.max_attempts));
  }
  ledger.AddPartitions(job.id, specs);
  ledger.SealJob(job.id);
  return job;
}

// Slots for the chunks being computed, plus each step's concurrency: a chunk holds its slot (and
// its ledger lease) through its steps. The resources are held by the claim only without steps;
// with steps, only while a step runs (StepPermits).
jobs::WorkerOptions ChunkWorkerOptions(const BatchedOptions& options,
                                       const std::vector<ChunkStep>& steps, int threads) {
  jobs::WorkerOptions worker;
  worker.slots = options.chunks_in_flight > 0 ? options.chunks_in_flight : 2 * threads + 2;
  if (options.chunks_in_flight <= 0) {
    for (const ChunkStep& step : steps) worker.slots += step.options.concurrency;
  }
  if (steps.empty()) worker.resources = options.resources;
  worker.claim_batch = worker.slots;
  worker.backoff_base = options.retry_delay;
  worker.backoff_max = std::max(options.retry_delay * 8, options.retry_delay);
  worker.stop_on_failure = false;
  return worker;
}

// Each chunk's attempts this run made and, for chunks that failed for good, the error.
void ReadOutcomes(ledger::Ledger& ledger, ledger::JobId job, std::map<int, int64_t>& attempts,
                  BatchedReport& report) {
  const size_t n = report.chunks.size();
  for (ledger::PartitionId after = 0;;) {
    auto page = ledger.ListPartitions(job, {.after_id = after, .limit = 1000});
    if (page.empty()) break;
    for (ledger::PartitionRecord& p : page) {
      after = p.id;
      if (jobs::StageOfKey(p.key) == kPublishStage) continue;
      const int c = ChunkPartition::FromJson(p.definition_json).chunk;
      if (c < 0 || static_cast<size_t>(c) >= n) continue;
      ChunkOutcome& o = report.chunks[static_cast<size_t>(c)];
      o.attempts = attempts[c];
      if (p.status == ledger::PartitionStatus::kFailed) {
        o.status = ChunkStatus::kFailed;
        o.error = p.error;
      }
    }
  }
}

// The chunk's split files, one per input: where the split left them, or for a submitted job
// fetched from the work directory into the local state directory.
std::map<std::string, std::string, std::less<>> ChunkFiles(const ChunkComputeRequest& request,
                                                           int c) {
  std::map<std::string, std::string, std::less<>> files;
  for (size_t i = 0; i < request.sources->size(); ++i) {
    const std::string& name = (*request.sources)[i].name;
    const std::string& path = (*request.chunk_inputs)[i][static_cast<size_t>(c)].path;
    if (!request.submitted || path.empty()) {
      files[name] = path;
      continue;
    }
    const std::filesystem::path local = request.state / "split" / name / ChunkFileName(c);
    MakeDirectories(local.parent_path().string());
    CopyFileInto(path, local.string());
    files[name] = local.string();
  }
  return files;
}

void RemoveLocalFiles(const std::map<std::string, std::string, std::less<>>& files) {
  for (const auto& [name, path] : files) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

}  // namespace

void ComputeChunks(const ChunkComputeRequest& request, ChunkCache& cache, OutputSchemaGuard& guard,
                   const RunOptions& run, BatchedReport& report) {
  const BatchedOptions& options = *request.options;
  const size_t n = report.chunks.size();
  const std::string url =
      options.ledger_url.empty() ? (request.state / "ledger.db").string() : options.ledger_url;
  auto ledger = ledger::OpenLedger(url);
  ledger::JobRecord job = request.submitted ? ledger->GetJob(request.submitted->job)
                                            : PrepareChunkJob(request, *ledger);
  report.ledger_job = job.name;
  const int threads = run.cpu_threads > 0 ? run.cpu_threads : UsableCores();

  // What a claimed chunk lacks is looked up in the cache at its claim: a killed earlier run (or
  // this run's failed attempt) may have stored its output, or some of its steps, before the
  // ledger marked it done. A chunk lacking nothing is completed without running anything, and
  // is no attempt of this run (the ledger still counts the claim); one lacking only steps runs
  // only those.
  const std::vector<ChunkStep>& steps = *request.task.steps;
  ChunkQueue queue;
  std::mutex mu;
  std::map<int, int64_t> attempts;  // guarded by mu
  jobs::PartitionTask task = [&](const jobs::TaskContext& ctx) {
    if (request.submitted && jobs::StageOfKey(ctx.lease.key) != kChunkStage) {
      request.submitted->other_stage(ctx);
      return;
    }
    ChunkPartition partition = ChunkPartition::FromJson(ctx.lease.definition_json);
    const int c = partition.chunk;
    if (c < 0 || static_cast<size_t>(c) >= n) return;
    // What the classification found is not asked of the store again (on S3 a miss costs a GET
    // per claim): only what this run stored since is looked up, in the cache's memory.
    const ChunkOutcome& classified = report.chunks[static_cast<size_t>(c)];
    const bool compute = classified.status == ChunkStatus::kHit ? !cache.Find(partition.key)
                                                                : !cache.Remembers(partition.key);
    std::vector<bool> run_steps;
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string step_key =
          StepCacheKey(steps[i].options.name, steps[i].options.version, partition.key);
      run_steps.push_back(classified.steps.size() <= i || classified.steps[i].status != "hit"
                              ? !cache.Remembers(step_key)
                              : false);
    }
    if (!compute && std::find(run_steps.begin(), run_steps.end(), true) == run_steps.end()) return;
    if (compute) {
      std::lock_guard lock(mu);
      ++attempts[c];
    }
    const auto files = ChunkFiles(request, c);
    auto chunk_run = std::make_shared<ChunkRun>(c, ctx.lease.attempt, std::move(partition.key),
                                                files, ctx.cancel, compute, std::move(run_steps));
    HandOver(queue, chunk_run);
    try {
      chunk_run->Wait(ctx.cancel);
    } catch (...) {
      if (request.submitted) RemoveLocalFiles(files);
      throw;
    }
    if (request.submitted) RemoveLocalFiles(files);
  };

  RunOptions compute = run;
  if (request.task.file_task && !compute.resource_caps.contains("task")) {
    compute.resource_caps["task"] = threads;
  }
  for (const ChunkStep& step : steps) {
    compute.resource_caps["step:" + StepStageName(step)] = step.options.concurrency;
  }
  ChunkTaskSpec spec = request.task;
  std::optional<StepPermits> permits;
  if (!steps.empty() && !options.resources.empty()) {
    spec.permits = &permits.emplace(url, job.name, options.resources);
  }
  jobs::WorkerOptions worker = ChunkWorkerOptions(options, steps, threads);
  if (request.submitted) {
    worker.on_idle = request.submitted->on_idle;
    if (request.submitted->claim_batch > 0) {
      worker.claim_batch = std::min(worker.claim_batch, request.submitted->claim_batch);
    }
    if (request.submitted->lease.count() > 0) worker.lease = request.submitted->lease;
  }
  CancellationSource stop(run.cancel);
  jobs::WorkerBesidePipelineErrors errors = jobs::RunWorkerBesidePipeline(
      url, job.id, task, worker, stop, queue, "the compute pipeline failed",
      [&] { report.compute = RunChunkPipeline(queue, spec, cache, guard, compute); });
  if (errors.pipeline) std::rethrow_exception(errors.pipeline);
  if (errors.worker) std::rethrow_exception(errors.worker);
  ReadOutcomes(*ledger, job.id, attempts, report);
  report.compute_tasks = jobs::TaskTimelineJson(*ledger, job.id);
}

}  // namespace sluice::batch
