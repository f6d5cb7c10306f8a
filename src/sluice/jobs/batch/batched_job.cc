#include "sluice/jobs/batch/batched_job.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/base/process_memory.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/batch/batch_finalize.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/batched_run.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunk_compute.h"
#include "sluice/jobs/batch/chunk_pipeline.h"
#include "sluice/jobs/batch/chunk_split.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/ledger/ledger_url.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace batched_run {

namespace stdfs = std::filesystem;
using batch::ChunkingConfig;

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

// Removes a local directory tree (absent is fine); IoError naming it otherwise.
void RemoveTree(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  if (ec) throw IoErrorFromErrno(ec.value(), "removing a directory", dir.string());
}

bool IsChunkFileName(std::string_view name) {
  return name.starts_with("chunk-") && name.ends_with(".parquet");
}

// The options and inputs checked; the output as an absolute path or a URL without a trailing '/'.
std::string CheckedOutputDir(const BatchedOptions& options, const std::vector<BatchInput>& inputs,
                             const std::string& output_dir) {
  if (options.name.empty()) throw InvalidArgument("the task needs a name (it is in cache keys)");
  if (options.max_attempts < 1) throw InvalidArgument("max attempts must be at least 1");
  if (inputs.empty()) throw InvalidArgument("a batched job needs at least one input");
  if (output_dir.empty()) throw InvalidArgument("a batched job needs an output directory");
  std::set<std::string> names;
  for (const BatchInput& in : inputs) {
    CheckInputName(in.name);
    if (!names.insert(in.name).second) throw InvalidArgument("input '{}' is given twice", in.name);
  }
  return batch::NormalizeLocation(output_dir);
}

// The inputs with their files matched once, for everything that reads them afterwards.
std::vector<BatchInput> MatchInputFiles(const std::vector<BatchInput>& inputs) {
  std::vector<BatchInput> matched = inputs;
  for (BatchInput& in : matched) {
    if (in.format == BatchInput::Format::kBatches) continue;
    in.paths = ExpandInputPaths(in);
    in.paths_matched = true;
  }
  return matched;
}

// The output's files by name (a local output directory is created). On an object store this is
// the run's first request there: a missing bucket or refused credentials fail here, before any
// work or any local state.
std::map<std::string, int64_t> ListOutput(const std::string& out) {
  batch::MakeDirectories(out);
  std::map<std::string, int64_t> files;
  for (const fs::FileInfo& f : fs::FileSystemFor(out)->List(out)) {
    files[std::string(batch::BaseName(f.path))] = f.size;
  }
  return files;
}

// Every input opened, with its grouping columns resolved (errors name the input and column).
std::vector<batch::SplitSource> OpenSources(const std::vector<BatchInput>& inputs,
                                            const ChunkingConfig& chunking) {
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
  return sources;
}

std::optional<batch::BatchManifest> ReadPreviousManifest(const std::string& out) {
  try {
    return batch::ReadBatchManifest(out);
  } catch (const Error& e) {
    Log(LogLevel::kWarn, "ignoring the previous manifest: {}", e.what());
    return std::nullopt;
  }
}

// Each input's schema and, for Parquet, its files' stamps (what tells an unchanged input).
std::map<std::string, batch::ManifestSource> DescribeInputs(
    const std::vector<BatchInput>& inputs, const std::vector<batch::SplitSource>& sources) {
  std::map<std::string, batch::ManifestSource> described;
  for (size_t i = 0; i < inputs.size(); ++i) {
    batch::ManifestSource& source = described[inputs[i].name];
    source.schema = batch::OutputSchemaGuard::Text(*sources[i].scan->schema());
    if (inputs[i].format == BatchInput::Format::kParquet) {
      source.files = StampFiles(ExpandInputPaths(inputs[i]));
    }
  }
  return described;
}

// Chunk c's fingerprint per input.
std::map<std::string, std::string> FingerprintsOf(
    const RunContext& ctx, const std::vector<std::vector<batch::SplitChunk>>& per_input, size_t c) {
  std::map<std::string, std::string> fps;
  for (size_t i = 0; i < ctx.sources.size(); ++i) {
    fps[ctx.sources[i].name] = per_input[i][c].fingerprint;
  }
  return fps;
}

// The rows and fingerprints the previous manifest recorded per input and chunk, when every input
// is Parquet, unchanged since, and every chunk's key is in the cache; nullopt otherwise.
std::optional<std::vector<std::vector<batch::SplitChunk>>> RecordedChunks(
    const RunContext& ctx, const batch::ChunkCache& cache) {
  const std::optional<batch::BatchManifest>& previous = ctx.previous;
  const size_t n = ctx.chunk_count();
  if (!ctx.options.reuse_unchanged_inputs || !previous || !(previous->chunking == ctx.chunking) ||
      previous->chunks.size() != n || previous->inputs.size() != ctx.sources.size()) {
    return std::nullopt;
  }
  for (const auto& [name, source] : ctx.input_sources) {
    auto it = previous->inputs.find(name);
    if (!source.files || it == previous->inputs.end() || it->second.files != source.files ||
        it->second.schema != source.schema) {
      return std::nullopt;
    }
  }
  std::vector<std::vector<batch::SplitChunk>> recorded(ctx.sources.size());
  for (size_t i = 0; i < ctx.sources.size(); ++i) {
    for (size_t c = 0; c < n; ++c) {
      auto it = previous->chunks[c].inputs.find(ctx.sources[i].name);
      if (it == previous->chunks[c].inputs.end()) return std::nullopt;
      recorded[i].push_back({"", it->second.rows, it->second.fingerprint});
    }
  }
  for (size_t c = 0; c < n; ++c) {
    if (!cache.Find(batch::ChunkCacheKey(ctx.options.name, ctx.options.version, ctx.chunking,
                                         static_cast<int>(c), FingerprintsOf(ctx, recorded, c)))) {
      return std::nullopt;
    }
  }
  return recorded;
}

// Fills ctx.chunk_inputs: from the previous manifest when nothing changed, else by a split.
void SplitOrReuse(RunContext& ctx, const batch::ChunkCache& cache, const RunOptions& run,
                  BatchedReport& report) {
  if (auto recorded = RecordedChunks(ctx, cache)) {
    ctx.chunk_inputs = std::move(*recorded);
    report.split_skipped = true;
  } else {
    batch::SplitResult split =
        batch::SplitIntoChunks(ctx.sources, ctx.chunking.chunks, ctx.split_dir(), run);
    report.split = split.report;
    ctx.chunk_inputs = std::move(split.chunks);
  }
  for (const auto& per_chunk : ctx.chunk_inputs) {
    for (const batch::SplitChunk& sc : per_chunk) report.rows_in += sc.rows;
  }
}

// Fills ctx.step_keys[c] and chunk c's step outcomes from the cache: "hit" or, for now, "not
// run". Returns whether every step is a hit.
bool ClassifySteps(RunContext& ctx, const batch::ChunkCache& cache, size_t c, ChunkOutcome& o) {
  bool all_hit = true;
  ctx.step_keys[c].clear();
  o.steps.clear();
  for (const ChunkStep& step : ctx.steps) {
    const std::string key =
        batch::StepCacheKey(step.options.name, step.options.version, ctx.keys[c]);
    ctx.step_keys[c].push_back(key);
    const bool hit = o.status == ChunkStatus::kHit && cache.HasStep(key);
    all_hit = all_hit && hit;
    o.steps.push_back({step.options.name, hit ? "hit" : "not run", key, 0, ""});
  }
  return all_hit;
}

// Fills ctx.keys and every chunk's outcome as far as the cache tells it (hit, or why it is
// computed); returns the chunks to compute.
std::vector<int> ClassifyChunks(RunContext& ctx, const batch::ChunkCache& cache,
                                batch::OutputSchemaGuard& guard, BatchedReport& report) {
  const size_t n = ctx.chunk_count();
  ctx.keys.resize(n);
  ctx.step_keys.resize(n);
  report.chunks.resize(n);
  std::vector<int> to_compute;
  for (size_t c = 0; c < n; ++c) {
    ChunkOutcome& o = report.chunks[c];
    o.chunk = static_cast<int>(c);
    const std::map<std::string, std::string> fingerprints =
        FingerprintsOf(ctx, ctx.chunk_inputs, c);
    for (size_t i = 0; i < ctx.sources.size(); ++i) {
      o.rows_in[ctx.sources[i].name] = ctx.chunk_inputs[i][c].rows;
    }
    ctx.keys[c] = batch::ChunkCacheKey(ctx.options.name, ctx.options.version, ctx.chunking, o.chunk,
                                       fingerprints);
    o.key = ctx.keys[c];
    if (std::optional<batch::CacheEntry> entry = cache.Find(ctx.keys[c])) {
      o.status = ChunkStatus::kHit;
      const batch::ManifestChunk* before = nullptr;
      if (ctx.previous && ctx.previous->chunks.size() > c) before = &ctx.previous->chunks[c];
      o.reason = before != nullptr && before->key == ctx.keys[c]
                     ? "unchanged since the last run"
                     : "computed by an earlier run that did not finish";
      if (entry->has_file) guard.Seed(o.chunk, entry->schema);
    } else {
      std::tie(o.status, o.reason) =
          WhyCompute(ctx.previous, ctx.options, ctx.chunking, o.chunk, fingerprints, ctx.keys[c]);
    }
    if (!ClassifySteps(ctx, cache, c, o) || o.status != ChunkStatus::kHit) {
      to_compute.push_back(o.chunk);
    }
  }
  return to_compute;
}

// The steps' outcomes of chunk c from this run's log; the first step whose entry is missing, as
// an error ("" when every step is done).
std::string MissingStep(const RunContext& ctx, const batch::ChunkCache& cache, size_t c,
                        ChunkOutcome& o) {
  std::string missing;
  for (size_t i = 0; i < ctx.steps.size(); ++i) {
    StepOutcome& step = o.steps[i];
    if (std::optional<batch::StepRecord> record = ctx.step_log->Find(o.chunk, i)) {
      step.attempts = record->attempts;
      step.status = record->succeeded ? "ran" : "failed";
      if (!record->succeeded) step.error = record->error;
    }
    if (missing.empty() && step.status != "hit" && !cache.HasStep(ctx.step_keys[c][i])) {
      missing = fmt::format("step {} {}{}", step.name,
                            step.status == "failed" ? "failed: " : "did not run",
                            step.status == "failed" ? step.error : "");
    }
  }
  return missing;
}

// Each chunk's output from the cache into its outcome and the manifest; returns the failures
// ("chunk N: error"), including chunks whose output was never stored.
std::vector<std::string> CollectOutputs(const RunContext& ctx, const batch::ChunkCache& cache,
                                        BatchedReport& report, batch::BatchManifest& manifest) {
  std::vector<std::string> failures;
  manifest.task_name = ctx.options.name;
  manifest.task_version = ctx.options.version;
  manifest.chunking = ctx.chunking;
  for (size_t c = 0; c < ctx.chunk_count(); ++c) {
    ChunkOutcome& o = report.chunks[c];
    std::string missing_step = MissingStep(ctx, cache, c, o);
    if (o.status == ChunkStatus::kFailed) {
      failures.push_back(fmt::format("chunk {}: {}", c, o.error));
      continue;
    }
    std::optional<batch::CacheEntry> entry = cache.Find(ctx.keys[c]);
    if (!entry) {
      o.status = ChunkStatus::kFailed;
      o.error = "no output was stored (the run was interrupted)";
      failures.push_back(fmt::format("chunk {}: {}", c, o.error));
      continue;
    }
    if (!missing_step.empty()) {
      o.status = ChunkStatus::kFailed;
      o.error = std::move(missing_step);
      failures.push_back(fmt::format("chunk {}: {}", c, o.error));
      continue;
    }
    o.rows_out = entry->rows;
    o.bytes = entry->bytes;
    if (entry->has_file) o.file = batch::ChunkFileName(static_cast<int>(c));
    batch::ManifestChunk mc{static_cast<int>(c), ctx.keys[c], o.file, o.rows_out, o.bytes, {}};
    for (size_t i = 0; i < ctx.sources.size(); ++i) {
      const batch::SplitChunk& in = ctx.chunk_inputs[i][c];
      mc.inputs[ctx.sources[i].name] = {in.rows, in.fingerprint};
    }
    manifest.chunks.push_back(std::move(mc));
    manifest.rows += o.rows_out;
  }
  return failures;
}

void CountStatuses(BatchedReport& report) {
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
}

// True when <out>/<o.file> already holds chunk c's cached output: the previous manifest lists
// that file with the same key, and it is there with its size. (A run that changes a listed file
// deletes the manifest first, so a manifest found describes the files beside it.)
bool AlreadyPublished(const RunContext& ctx, size_t c, const ChunkOutcome& o) {
  if (!ctx.previous) return false;
  auto it = ctx.listing.find(o.file);
  if (it == ctx.listing.end() || it->second != o.bytes) return false;
  for (const batch::ManifestChunk& before : ctx.previous->chunks) {
    if (before.chunk == o.chunk) return before.key == ctx.keys[c] && before.file == o.file;
  }
  return false;
}

// Publishes the chunk files that changed, removes stale ones, writes the manifest and prunes the
// cache.
void PublishOutputs(const RunContext& ctx, batch::ChunkCache& cache,
                    const batch::OutputSchemaGuard& guard, batch::BatchManifest manifest,
                    BatchedReport& report) {
  std::set<std::string> files, keep_keys;
  std::vector<size_t> to_copy;
  for (size_t c = 0; c < ctx.chunk_count(); ++c) {
    keep_keys.insert(ctx.keys[c]);
    keep_keys.insert(ctx.step_keys[c].begin(), ctx.step_keys[c].end());
    const ChunkOutcome& o = report.chunks[c];
    if (o.file.empty()) continue;
    files.insert(o.file);
    if (!AlreadyPublished(ctx, c, o)) to_copy.push_back(c);
  }
  std::vector<std::string> stale;
  for (const auto& [name, bytes] : ctx.listing) {
    if (IsChunkFileName(name) && !files.contains(name)) stale.push_back(name);
  }
  auto out = fs::FileSystemFor(ctx.out);
  const std::string manifest_path = batch::JoinLocation(ctx.out, batch::kManifestName);
  if ((!to_copy.empty() || !stale.empty()) && ctx.listing.contains(batch::kManifestName)) {
    out->Delete(manifest_path);
  }
  for (size_t c : to_copy) {
    batch::CopyFileInto(cache.DataPath(ctx.keys[c]),
                        batch::JoinLocation(ctx.out, report.chunks[c].file));
  }
  for (const std::string& name : stale) out->Delete(batch::JoinLocation(ctx.out, name));
  manifest.schema = guard.reference().value_or("");
  manifest.inputs = ctx.input_sources;
  batch::WriteBatchManifest(ctx.out, manifest);
  try {
    report.cache_pruned = cache.Prune(keep_keys);
  } catch (const Error& e) {
    // The output is complete; entries left behind are pruned by a later run.
    Log(LogLevel::kWarn, "pruning the chunk cache: {}", e.what());
  }
}

ChunkingConfig Chunking(const BatchedOptions& options) {
  const ChunkingConfig chunking{options.by, options.chunks, batch::kChunkHashVersion};
  batch::CheckChunking(chunking);
  return chunking;
}

void StartReport(const RunContext& ctx, BatchedReport& report) {
  report.output_dir = ctx.out;
  report.task_name = ctx.options.name;
  report.task_version = ctx.options.version;
  report.chunking = ctx.chunking.Describe();
}

// Step 1: everything that can be checked is checked before anything is written (the output's
// listing, its first request, creates a local output directory).
void OpenAndCheck(RunContext& ctx, const std::vector<BatchInput>& inputs) {
  ctx.inputs = MatchInputFiles(inputs);
  ctx.sources = OpenSources(ctx.inputs, ctx.chunking);
  ctx.listing = ListOutput(ctx.out);
  batch::MakeDirectories(ctx.state.string());
  RemoveTree(ctx.split_dir());
  RemoveTree(ctx.scratch_dir());
  batch::MakeDirectories(ctx.scratch_dir().string());
}

// Steps 2 and 3: the split (unless every input is unchanged and cached), the keys, and which
// chunks the cache already holds. Returns the chunks to compute.
std::vector<int> SplitAndClassify(RunContext& ctx, const batch::ChunkCache& cache,
                                  batch::OutputSchemaGuard& guard, const RunOptions& run,
                                  BatchedReport& report) {
  StartReport(ctx, report);
  ctx.previous = ReadPreviousManifest(ctx.out);
  ctx.input_sources = DescribeInputs(ctx.inputs, ctx.sources);
  SplitOrReuse(ctx, cache, run, report);
  return ClassifyChunks(ctx, cache, guard, report);
}

// Removes the local scratch and writes the report to <state>/last_report.json.
void WriteLastReport(const RunContext& ctx, std::chrono::steady_clock::time_point started,
                     BatchedReport& report) {
  RemoveTree(ctx.split_dir());
  RemoveTree(ctx.scratch_dir());
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.peak_rss = ProcessPeakRssBytes();
  const std::string text = report.ToJson().dump(2) + "\n";
  fs::WriteWholeFile(*fs::LocalFileSystem(), (ctx.state / "last_report.json").string(), text);
}

// Step 5 and finalize: every chunk's output now comes from the cache.
BatchedReport FinishRun(const RunContext& ctx, batch::ChunkCache& cache,
                        const batch::OutputSchemaGuard& guard, const RunOptions& run,
                        std::chrono::steady_clock::time_point started, const FinalizeTask& finalize,
                        const FinalizeOptions& finalize_options, BatchedReport& report) {
  batch::BatchManifest manifest;
  std::vector<std::string> failures = CollectOutputs(ctx, cache, report, manifest);
  CountStatuses(report);
  report.rows_out = manifest.rows;
  if (!failures.empty()) {
    WriteLastReport(ctx, started, report);
    if (failures.size() > 5) failures.resize(5);
    throw InvalidData("{} of {} chunks failed; the previous output is left as it was: {}",
                      report.failed, ctx.chunk_count(), fmt::join(failures, "; "))
        .With("output", ctx.out);
  }
  const std::vector<std::string> files = manifest.files();
  PublishOutputs(ctx, cache, guard, std::move(manifest), report);
  if (finalize) {
    report.finalize = batch::FinalizeIfChanged(
        {&finalize, &finalize_options, ctx.out, ctx.keys, ctx.step_keys, files, run.cancel});
  }
  WriteLastReport(ctx, started, report);
  if (report.finalize.status == "failed") {
    throw InvalidData(
        "finalize {} failed after {} attempts: {}; every chunk is cached and published, and the "
        "next run retries finalize",
        finalize_options.name, report.finalize.attempts, report.finalize.error)
        .With("output", ctx.out);
  }
  return report;
}

}  // namespace batched_run

using namespace batched_run;

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

stdfs::path BatchStateDir(const BatchedOptions& options, const std::string& output_dir) {
  if (!options.state_dir.empty()) return stdfs::absolute(options.state_dir).lexically_normal();
  const std::string out = batch::NormalizeLocation(output_dir);
  if (!fs::IsS3Url(out)) return stdfs::path(out) / ".sluice";
  return stdfs::absolute(ledger::kDefaultStateDir) /
         fmt::format("batch-{:016x}", XxHash64(out.data(), out.size(), 0));
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
  RunContext ctx{options_, steps_, Chunking(options_),
                 CheckedOutputDir(options_, inputs, output_dir),
                 BatchStateDir(options_, output_dir)};
  batch::StepLog step_log;
  ctx.step_log = &step_log;
  OpenAndCheck(ctx, inputs);
  batch::ChunkCache cache(ctx.cache_dir());
  BatchedReport report;
  batch::OutputSchemaGuard guard;
  std::vector<int> to_compute = SplitAndClassify(ctx, cache, guard, run, report);
  // 4. Compute the others as partitions of a ledger job.
  if (!to_compute.empty()) {
    batch::ChunkComputeRequest request{&options_,
                                       ctx.chunking,
                                       &ctx.sources,
                                       &ctx.chunk_inputs,
                                       &ctx.keys,
                                       std::move(to_compute),
                                       ctx.out,
                                       ctx.state,
                                       {table_task_, file_task_, ctx.chunking.chunks,
                                        options_.codec, ctx.scratch_dir(), &steps_, &step_log}};
    batch::ComputeChunks(request, cache, guard, run, report);
  }

  return FinishRun(ctx, cache, guard, run, started, finalize_, finalize_options_, report);
}

BatchedJob& BatchedJob::Then(StepTask step, StepOptions options) {
  if (!step) throw InvalidArgument("a step needs a function");
  if (options.name.empty()) options.name = fmt::format("then{}", steps_.size() + 1);
  if (options.concurrency < 1 || options.max_attempts < 1) {
    throw InvalidArgument("step {}: concurrency and max attempts must be at least 1", options.name);
  }
  const std::string stage = options.stage.empty() ? options.name : options.stage;
  for (const ChunkStep& s : steps_) {
    if (s.options.name == options.name || batch::StepStageName(s) == stage) {
      throw InvalidArgument("step {} is given twice", options.name);
    }
  }
  steps_.push_back({std::move(step), std::move(options)});
  return *this;
}

BatchedJob& BatchedJob::Finalize(FinalizeTask finalize, FinalizeOptions options) {
  if (!finalize) throw InvalidArgument("finalize needs a function");
  if (options.name.empty() || options.max_attempts < 1) {
    throw InvalidArgument("finalize needs a name and at least 1 attempt");
  }
  finalize_ = std::move(finalize);
  finalize_options_ = std::move(options);
  return *this;
}

}  // namespace sluice
