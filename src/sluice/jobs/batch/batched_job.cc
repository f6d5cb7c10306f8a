#include "sluice/jobs/batch/batched_job.h"

#include <fmt/format.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "sluice/base/cores.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/base/process_memory.h"
#include "sluice/base/temp_path.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunk_partition.h"
#include "sluice/jobs/batch/chunk_pipeline.h"
#include "sluice/jobs/batch/chunk_split.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/lease_owner.h"
#include "sluice/jobs/worker.h"
#include "sluice/jobs/worker_beside_pipeline.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

namespace stdfs = std::filesystem;
using batch::ChunkingConfig;
using nlohmann::json;

// Why a chunk without a cached output is computed, from the previous run's manifest.
std::pair<ChunkStatus, std::string> WhyCompute(const std::optional<batch::BatchManifest>& previous,
                                               const BatchedOptions& options,
                                               const ChunkingConfig& chunking, int chunk,
                                               const std::map<std::string, std::string>& fps,
                                               const std::string& key) {
  if (!previous) return {ChunkStatus::kMiss, "no earlier output"};
  if (!(previous->chunking == chunking)) {
    return {ChunkStatus::kRecomputed,
            fmt::format("chunking changed: {} -> {}", previous->chunking.Describe(),
                        chunking.Describe())};
  }
  if (previous->task_name != options.name) {
    return {ChunkStatus::kRecomputed,
            fmt::format("task changed: {} -> {}", previous->task_name, options.name)};
  }
  if (previous->task_version != options.version) {
    return {ChunkStatus::kRecomputed,
            fmt::format("task version changed: {} -> {}", previous->task_version, options.version)};
  }
  const batch::ManifestChunk* before = nullptr;
  for (const batch::ManifestChunk& c : previous->chunks) {
    if (c.chunk == chunk) before = &c;
  }
  if (before == nullptr) return {ChunkStatus::kMiss, "no earlier output for this chunk"};
  if (before->key == key) return {ChunkStatus::kMiss, "cached output missing"};
  std::vector<std::string> changes;
  for (const auto& [name, fp] : fps) {
    auto it = before->inputs.find(name);
    if (it == before->inputs.end()) {
      changes.push_back(fmt::format("input {} added", name));
    } else if (it->second.fingerprint != fp) {
      changes.push_back(fmt::format("input {} changed", name));
    }
  }
  for (const auto& [name, in] : before->inputs) {
    if (!fps.contains(name)) changes.push_back(fmt::format("input {} removed", name));
  }
  if (changes.empty()) return {ChunkStatus::kRecomputed, "cache key changed"};
  return {ChunkStatus::kRecomputed, fmt::format("{}", fmt::join(changes, ", "))};
}

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

// Leases of processes on this host that no longer exist (a killed earlier run) are given back
// now, uncharged, instead of waiting for them to expire.
void ReleaseDeadLocalLeases(ledger::Ledger& ledger, ledger::JobId job) {
  for (const ledger::PartitionRecord& p : ledger.ListPartitions(
           job, {.status = ledger::PartitionStatus::kRunning, .limit = 1000000})) {
    std::optional<jobs::LeaseOwner> owner = jobs::LeaseOwner::Parse(p.lease_owner);
    if (!owner || !owner->IsDeadLocalProcess()) continue;
    try {
      ledger.Release({p.id, p.attempt});
      Log(LogLevel::kInfo, "released {} (its process {} is gone)", p.key, owner->pid);
    } catch (const Error&) {
      // Taken over meanwhile: nothing to release.
    }
  }
}

// Publishes the chunk's cached output as <out>/chunk-NNNNN.parquet: a hard link under a
// temporary name, renamed over the previous run's file.
void Publish(const std::string& cached, const stdfs::path& target) {
  const std::string temp = TemporaryPathFor(target.string());
  std::error_code ec;
  stdfs::create_hard_link(cached, temp, ec);
  if (ec) stdfs::copy_file(cached, temp, stdfs::copy_options::overwrite_existing);
  stdfs::rename(temp, target);
}

// Removes chunk files that the new manifest does not list (chunks that no longer exist or
// have no output).
void RemoveStaleChunkFiles(const stdfs::path& out, const std::set<std::string>& keep) {
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("chunk-") && name.ends_with(".parquet") && !keep.contains(name)) {
      stdfs::remove(e.path(), ec);
    }
  }
}

}  // namespace

std::string_view ChunkStatusName(ChunkStatus status) {
  switch (status) {
    case ChunkStatus::kHit:
      return "hit";
    case ChunkStatus::kMiss:
      return "miss";
    case ChunkStatus::kRecomputed:
      return "recomputed";
    case ChunkStatus::kFailed:
      return "failed";
  }
  return "?";
}

BatchedJob::BatchedJob(TableTask task, BatchedOptions options)
    : table_task_(std::move(task)), options_(std::move(options)) {
  if (!table_task_) throw InvalidArgument("a batched job needs a task");
}

BatchedJob::BatchedJob(FileTask task, BatchedOptions options)
    : file_task_(std::move(task)), options_(std::move(options)) {
  if (!file_task_) throw InvalidArgument("a batched job needs a task");
}

BatchedReport BatchedJob::Run(const std::vector<BatchInput>& inputs, const std::string& output_dir,
                              const RunOptions& run) const {
  const auto started = std::chrono::steady_clock::now();
  const ChunkingConfig chunking{options_.by, options_.chunks, batch::kChunkHashVersion};
  batch::CheckChunking(chunking);
  if (options_.name.empty()) throw InvalidArgument("the task needs a name (it is in cache keys)");
  if (options_.max_attempts < 1) throw InvalidArgument("max attempts must be at least 1");
  if (inputs.empty()) throw InvalidArgument("a batched job needs at least one input");
  if (output_dir.empty()) throw InvalidArgument("a batched job needs an output directory");
  std::set<std::string> names;
  for (const BatchInput& in : inputs) {
    CheckInputName(in.name);
    if (!names.insert(in.name).second) throw InvalidArgument("input '{}' is given twice", in.name);
  }

  // Everything that can be checked is checked before anything is written.
  std::vector<batch::SplitSource> sources;
  std::vector<std::string> input_names;
  std::vector<std::shared_ptr<const Schema>> schemas;
  for (const BatchInput& in : inputs) {
    std::shared_ptr<TableScan> scan = OpenBatchInput(in);
    const int64_t read_bytes = UnitReadBytes(in, *scan);
    sources.push_back({in.name, std::move(scan), {}, read_bytes});
    input_names.push_back(in.name);
    schemas.push_back(sources.back().scan->schema());
  }
  std::vector<std::vector<int>> by = batch::ResolveGroupingColumns(chunking, input_names, schemas);
  for (size_t i = 0; i < sources.size(); ++i) sources[i].by_columns = by[i];

  const stdfs::path out = stdfs::absolute(output_dir).lexically_normal();
  const stdfs::path state = out / ".sluice";
  stdfs::create_directories(state);
  const stdfs::path split_dir = state / "split";
  stdfs::remove_all(split_dir);
  batch::ChunkCache cache(state / "cache");

  BatchedReport report;
  report.output_dir = out.string();
  report.task_name = options_.name;
  report.task_version = options_.version;
  report.chunking = chunking.Describe();

  std::optional<batch::BatchManifest> previous;
  try {
    previous = batch::ReadBatchManifest(out.string());
  } catch (const Error& e) {
    Log(LogLevel::kWarn, "ignoring the previous manifest: {}", e.what());
  }

  const size_t n = static_cast<size_t>(chunking.chunks);
  std::map<std::string, batch::ManifestSource> input_sources;
  for (size_t i = 0; i < inputs.size(); ++i) {
    batch::ManifestSource& source = input_sources[inputs[i].name];
    source.schema = batch::OutputSchemaGuard::Text(*schemas[i]);
    if (inputs[i].format == BatchInput::Format::kParquet) {
      source.files = StampFiles(ExpandInputPaths(inputs[i]));
    }
  }
  auto fingerprints_of = [&](const std::vector<std::vector<batch::SplitChunk>>& per_input,
                             size_t c) {
    std::map<std::string, std::string> fps;
    for (size_t i = 0; i < sources.size(); ++i) fps[sources[i].name] = per_input[i][c].fingerprint;
    return fps;
  };
  // [input][chunk]: rows and fingerprints (and split files, after a split).
  std::vector<std::vector<batch::SplitChunk>> chunk_inputs;
  if (options_.reuse_unchanged_inputs && previous && previous->chunking == chunking &&
      previous->chunks.size() == n && previous->inputs.size() == inputs.size()) {
    bool unchanged = true;
    for (const auto& [name, source] : input_sources) {
      auto it = previous->inputs.find(name);
      unchanged = unchanged && source.files && it != previous->inputs.end() &&
                  it->second.files == source.files && it->second.schema == source.schema;
    }
    if (unchanged) {
      std::vector<std::vector<batch::SplitChunk>> recorded(sources.size());
      for (size_t i = 0; i < sources.size() && unchanged; ++i) {
        for (size_t c = 0; c < n && unchanged; ++c) {
          auto it = previous->chunks[c].inputs.find(sources[i].name);
          unchanged = it != previous->chunks[c].inputs.end();
          if (unchanged) recorded[i].push_back({"", it->second.rows, it->second.fingerprint});
        }
      }
      for (size_t c = 0; c < n && unchanged; ++c) {
        unchanged =
            cache
                .Find(batch::ChunkCacheKey(options_.name, options_.version, chunking,
                                           static_cast<int>(c), fingerprints_of(recorded, c)))
                .has_value();
      }
      if (unchanged) {
        chunk_inputs = std::move(recorded);
        report.split_skipped = true;
      }
    }
  }
  if (!report.split_skipped) {
    batch::SplitResult split = batch::SplitIntoChunks(sources, chunking.chunks, split_dir, run);
    report.split = split.report;
    chunk_inputs = std::move(split.chunks);
  }
  for (const auto& per_chunk : chunk_inputs) {
    for (const batch::SplitChunk& sc : per_chunk) report.rows_in += sc.rows;
  }

  // Keys, and which chunks the cache already holds.
  std::vector<std::string> keys(n);
  std::vector<std::map<std::string, std::string>> fingerprints(n);
  report.chunks.resize(n);
  batch::OutputSchemaGuard guard;
  std::vector<int> to_compute;
  std::string all_keys;
  for (size_t c = 0; c < n; ++c) {
    ChunkOutcome& o = report.chunks[c];
    o.chunk = static_cast<int>(c);
    fingerprints[c] = fingerprints_of(chunk_inputs, c);
    for (size_t i = 0; i < sources.size(); ++i) {
      o.rows_in[sources[i].name] = chunk_inputs[i][c].rows;
    }
    keys[c] =
        batch::ChunkCacheKey(options_.name, options_.version, chunking, o.chunk, fingerprints[c]);
    o.key = keys[c];
    all_keys += keys[c];
    if (std::optional<batch::CacheEntry> entry = cache.Find(keys[c])) {
      o.status = ChunkStatus::kHit;
      const batch::ManifestChunk* before = nullptr;
      if (previous && previous->chunks.size() > c) before = &previous->chunks[c];
      o.reason = before != nullptr && before->key == keys[c]
                     ? "unchanged since the last run"
                     : "computed by an earlier run that did not finish";
      if (entry->has_file) guard.Seed(o.chunk, entry->schema);
    } else {
      std::tie(o.status, o.reason) =
          WhyCompute(previous, options_, chunking, o.chunk, fingerprints[c], keys[c]);
      to_compute.push_back(o.chunk);
    }
  }

  if (!to_compute.empty()) {
    const std::string url =
        options_.ledger_url.empty() ? (state / "ledger.db").string() : options_.ledger_url;
    // The job is this exact set of chunk keys: a re-run of the same work (after a crash) finds
    // it again; any change of inputs, task or chunking is a new job.
    const std::string identity =
        fmt::format("{:016x}", XxHash64(all_keys.data(), all_keys.size(), 0));
    const std::string base_name =
        fmt::format("batch {} -> {} @{}", options_.name, out.string(), identity);
    const json job_options = {{"task", options_.name},
                              {"version", options_.version},
                              {"by", chunking.by},
                              {"chunks", chunking.chunks},
                              {"output", out.string()}};
    std::set<std::string> partition_keys;
    for (int c : to_compute) partition_keys.insert(batch::ChunkPartition::LedgerKey(c));
    auto ledger = ledger::OpenLedger(url);
    ledger::JobRecord job = OpenChunkJob(*ledger, base_name, partition_keys, job_options.dump());
    report.ledger_job = job.name;
    ReleaseDeadLocalLeases(*ledger, job.id);
    ledger->RequeueFailed(job.id);
    std::vector<ledger::PartitionSpec> specs;
    for (int c : to_compute) {
      specs.push_back(
          batch::ChunkPartition{c, keys[static_cast<size_t>(c)]}.ToSpec(options_.max_attempts));
    }
    ledger->AddPartitions(job.id, specs);
    ledger->SealJob(job.id);

    const int threads = run.cpu_threads > 0 ? run.cpu_threads : UsableCores();
    jobs::WorkerOptions worker;
    worker.slots = options_.chunks_in_flight > 0 ? options_.chunks_in_flight : 2 * threads + 2;
    worker.claim_batch = worker.slots;
    worker.backoff_base = options_.retry_delay;
    worker.backoff_max = std::max(options_.retry_delay * 8, options_.retry_delay);
    worker.stop_on_failure = false;

    // The job may hold partitions of chunks that are now cache hits: a killed earlier run stored
    // their output but died before the ledger marked them done. Claiming one completes it without
    // running the task again, and is no attempt of this run (the ledger still counts the claim).
    std::vector<bool> computing(n, false);
    for (int c : to_compute) computing[static_cast<size_t>(c)] = true;
    batch::ChunkQueue queue;
    std::mutex mu;
    std::map<int, int64_t> attempts;  // guarded by mu
    jobs::PartitionTask task = [&](const jobs::TaskContext& ctx) {
      batch::ChunkPartition partition = batch::ChunkPartition::FromJson(ctx.lease.definition_json);
      const int c = partition.chunk;
      if (c >= 0 && static_cast<size_t>(c) < n && !computing[static_cast<size_t>(c)]) return;
      {
        std::lock_guard lock(mu);
        ++attempts[c];
      }
      std::map<std::string, std::string, std::less<>> files;
      for (size_t i = 0; i < sources.size(); ++i) {
        files[sources[i].name] = chunk_inputs[i][static_cast<size_t>(c)].path;
      }
      auto chunk_run = std::make_shared<batch::ChunkRun>(
          c, ctx.lease.attempt, std::move(partition.key), std::move(files), ctx.cancel);
      batch::HandOver(queue, chunk_run);
      chunk_run->Wait(ctx.cancel);
    };

    batch::ChunkTaskSpec spec{table_task_, file_task_, chunking.chunks, options_.codec};
    RunOptions compute = run;
    if (file_task_ && !compute.resource_caps.contains("task")) {
      compute.resource_caps["task"] = threads;
    }
    CancellationSource stop(run.cancel);
    jobs::WorkerBesidePipelineErrors errors = jobs::RunWorkerBesidePipeline(
        url, job.id, task, worker, stop, queue, "the compute pipeline failed",
        [&] { report.compute = batch::RunChunkPipeline(queue, spec, cache, guard, compute); });
    if (errors.pipeline) std::rethrow_exception(errors.pipeline);
    if (errors.worker) std::rethrow_exception(errors.worker);

    for (ledger::PartitionId after = 0;;) {
      auto page = ledger->ListPartitions(job.id, {.after_id = after, .limit = 1000});
      if (page.empty()) break;
      for (ledger::PartitionRecord& p : page) {
        after = p.id;
        const int c = batch::ChunkPartition::FromJson(p.definition_json).chunk;
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

  // Every chunk's output now comes from the cache.
  std::vector<std::string> failures;
  batch::BatchManifest manifest;
  manifest.task_name = options_.name;
  manifest.task_version = options_.version;
  manifest.chunking = chunking;
  for (size_t c = 0; c < n; ++c) {
    ChunkOutcome& o = report.chunks[c];
    if (o.status == ChunkStatus::kFailed) {
      failures.push_back(fmt::format("chunk {}: {}", c, o.error));
      continue;
    }
    std::optional<batch::CacheEntry> entry = cache.Find(keys[c]);
    if (!entry) {
      o.status = ChunkStatus::kFailed;
      o.error = "no output was stored (the run was interrupted)";
      failures.push_back(fmt::format("chunk {}: {}", c, o.error));
      continue;
    }
    o.rows_out = entry->rows;
    o.bytes = entry->bytes;
    if (entry->has_file) o.file = batch::ChunkFileName(static_cast<int>(c));
    batch::ManifestChunk mc{static_cast<int>(c), keys[c], o.file, o.rows_out, o.bytes, {}};
    for (size_t i = 0; i < sources.size(); ++i) {
      mc.inputs[sources[i].name] = {chunk_inputs[i][c].rows, chunk_inputs[i][c].fingerprint};
    }
    manifest.chunks.push_back(std::move(mc));
    manifest.rows += o.rows_out;
  }
  for (const ChunkOutcome& o : report.chunks) {
    switch (o.status) {
      case ChunkStatus::kHit:
        ++report.hits;
        break;
      case ChunkStatus::kMiss:
        ++report.misses;
        break;
      case ChunkStatus::kRecomputed:
        ++report.recomputed;
        break;
      case ChunkStatus::kFailed:
        ++report.failed;
        break;
    }
  }
  report.rows_out = manifest.rows;

  auto finish = [&] {
    stdfs::remove_all(split_dir);
    report.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    report.peak_rss = ProcessPeakRssBytes();
    const std::string text = report.ToJson().dump(2) + "\n";
    fs::WriteWholeFile(*fs::LocalFileSystem(), (state / "last_report.json").string(), text);
  };
  if (!failures.empty()) {
    finish();
    if (failures.size() > 5) failures.resize(5);
    throw InvalidData("{} of {} chunks failed; the previous output is left as it was: {}",
                      report.failed, n, fmt::join(failures, "; "))
        .With("output", out.string());
  }

  std::set<std::string> files, keep_keys;
  for (size_t c = 0; c < n; ++c) {
    keep_keys.insert(keys[c]);
    const ChunkOutcome& o = report.chunks[c];
    if (o.file.empty()) continue;
    Publish(cache.DataPath(keys[c]), out / o.file);
    files.insert(o.file);
  }
  RemoveStaleChunkFiles(out, files);
  manifest.schema = guard.reference().value_or("");
  manifest.inputs = std::move(input_sources);
  batch::WriteBatchManifest(out.string(), manifest);
  report.cache_pruned = cache.Prune(keep_keys);
  finish();
  return report;
}

}  // namespace sluice
