#include "sluice/jobs/batch/chunk_pipeline.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"
#include "sluice/flow/pipeline.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/batch/chunk_split.h"
#include "sluice/jobs/batch/step_retry.h"

namespace sluice::batch {
namespace {

struct RunItem {
  ChunkRunPtr run;
  std::string output;  // file tasks: the temporary file the task wrote
  ChunkResult result;  // once the output is in the cache: what the steps get
};
int64_t ByteSize(const RunItem&) { return sizeof(RunItem); }
std::string Describe(const RunItem& item) { return fmt::format("chunk {}", item.run->chunk()); }

struct WorkItem {
  ChunkRunPtr run;
  ChunkInputs inputs;
  ChunkTable output;
};
int64_t ByteSize(const WorkItem& item) {
  int64_t bytes = 0;
  for (const auto& [name, table] : item.inputs.tables) {
    for (const RecordBatch& b : table.batches) bytes += sluice::ByteSize(b);
  }
  for (const RecordBatch& b : item.output.batches) bytes += sluice::ByteSize(b);
  return bytes;
}
std::string Describe(const WorkItem& item) { return fmt::format("chunk {}", item.run->chunk()); }

// A fresh local file for a chunk's output before the cache stores it, in the scratch directory
// (for a local output, on the cache's file system: the store is a rename). It ends in .parquet,
// for commands that pick the format by extension.
std::string ScratchPathFor(const ChunkTaskSpec& spec, const ChunkRun& run) {
  return TemporaryPathFor((spec.scratch / (run.key() + ".parquet")).string()) + ".parquet";
}

void Source(ChunkQueue& queue, Emitter<RunItem>& out) {
  // Runs arrive as worker tasks claim chunks; waiting for the next one counts as idle time.
  while (std::optional<ChunkRunPtr> run = out.AwaitInput([&] { return queue.Pop(out.cancel()); })) {
    out.Emit({std::move(*run), {}});
  }
}

bool HasSteps(const ChunkTaskSpec& spec) { return spec.steps != nullptr && !spec.steps->empty(); }

// The cached output of a run that skips the task. Fails the run when the entry is gone.
std::optional<ChunkResult> CachedResult(const ChunkCache& cache, const ChunkRunPtr& run,
                                        const char* stage) {
  try {
    std::optional<CacheEntry> entry = cache.Find(run->key());
    if (!entry) throw NotFound("the chunk's cached output is gone");
    return ChunkResult{entry->rows, entry->has_file, entry->bytes, entry->schema};
  } catch (...) {
    FailRun(run, stage);
    return std::nullopt;
  }
}

// After the task's output is in the cache: the run is finished when no step follows, else its
// item goes on to the first step.
void Settle(const ChunkTaskSpec& spec, RunItem item, ChunkResult result, Emitter<RunItem>* out) {
  if (!HasSteps(spec) || out == nullptr) {
    item.run->Finish(std::move(result));
    return;
  }
  item.result = std::move(result);
  out->Emit(std::move(item));
}

void ReadInputs(const ChunkTaskSpec& spec, RunItem item, Emitter<WorkItem>& out) {
  WorkItem work{std::move(item.run), {}, {}};
  if (!work.run->compute()) {
    out.Emit(std::move(work));
    return;
  }
  try {
    work.inputs.chunk = work.run->chunk();
    work.inputs.chunks = spec.chunks;
    for (const auto& [name, path] : work.run->inputs()) {
      auto reader = parquet::ParquetFileReader::Open(path);
      ChunkTable table(reader->ReadSchema(), reader->ReadAll());
      work.inputs.tables.emplace(name, std::move(table));
    }
  } catch (...) {
    FailRun(work.run, "read");
    return;
  }
  out.Emit(std::move(work));
}

void RunTask(const ChunkTaskSpec& spec, WorkItem work, Emitter<WorkItem>& out) {
  if (work.run->failed()) return;
  if (!work.run->compute()) {
    out.Emit(std::move(work));
    return;
  }
  try {
    work.output = spec.table_task(work.inputs);
    work.inputs.tables.clear();
    for (const RecordBatch& b : work.output.batches) {
      if (!work.output.schema || !(b.schema() == *work.output.schema)) {
        throw InvalidData("the task returned batches of different schemas");
      }
    }
  } catch (...) {
    FailRun(work.run, "task");
    return;
  }
  out.Emit(std::move(work));
}

void WriteOutput(const ChunkTaskSpec& spec, const ChunkCache& cache, OutputSchemaGuard& guard,
                 WorkItem work, Emitter<RunItem>* out) {
  if (work.run->failed()) return;
  if (!work.run->compute()) {
    if (auto result = CachedResult(cache, work.run, "write")) {
      Settle(spec, {std::move(work.run), {}, {}}, std::move(*result), out);
    }
    return;
  }
  try {
    ChunkResult result;
    result.rows = work.output.num_rows();
    if (work.output.schema) {
      result.schema = OutputSchemaGuard::Text(*work.output.schema);
      guard.Check(work.run->chunk(), result.schema);
      const std::string local = ScratchPathFor(spec, *work.run);
      parquet::ParquetWriteOptions options;
      options.codec = spec.codec;
      try {
        parquet::WriteParquetFile(local, work.output.schema, work.output.batches, options);
        result.bytes = cache.Store(work.run->key(), local);
      } catch (...) {
        std::remove(local.c_str());
        throw;
      }
      result.has_file = true;
    }
    cache.Put({work.run->key(), work.run->chunk(), result.rows, result.has_file, result.bytes,
               result.schema});
    Settle(spec, {work.run, {}, {}}, std::move(result), out);
  } catch (...) {
    FailRun(work.run, "write");
  }
}

void RunFileTask(const ChunkTaskSpec& spec, RunItem item, Emitter<RunItem>& out) {
  if (!item.run->compute()) {
    out.Emit(std::move(item));
    return;
  }
  ChunkFiles files;
  files.chunk = item.run->chunk();
  files.chunks = spec.chunks;
  files.attempt = item.run->attempt();
  files.inputs = item.run->inputs();
  files.output = ScratchPathFor(spec, *item.run);
  files.cancel = item.run->cancel();
  try {
    spec.file_task(files);
    if (!std::filesystem::exists(files.output)) {
      throw InvalidData("the task wrote no output file").With("output", files.output);
    }
  } catch (...) {
    std::remove(files.output.c_str());
    FailRun(item.run, "task");
    return;
  }
  item.output = std::move(files.output);
  out.Emit(std::move(item));
}

void CommitFileOutput(const ChunkTaskSpec& spec, const ChunkCache& cache, OutputSchemaGuard& guard,
                      RunItem item, Emitter<RunItem>* out) {
  if (item.run->failed()) return;
  if (!item.run->compute()) {
    if (auto result = CachedResult(cache, item.run, "commit")) {
      Settle(spec, std::move(item), std::move(*result), out);
    }
    return;
  }
  const std::string temp = item.output;
  try {
    auto reader = parquet::ParquetFileReader::Open(temp);
    ChunkResult result;
    result.rows = reader->num_rows();
    result.schema = OutputSchemaGuard::Text(*reader->ReadSchema());
    reader.reset();
    guard.Check(item.run->chunk(), result.schema);
    result.bytes = cache.Store(item.run->key(), temp);
    result.has_file = true;
    cache.Put({item.run->key(), item.run->chunk(), result.rows, true, result.bytes, result.schema});
    Settle(spec, std::move(item), std::move(result), out);
  } catch (...) {
    std::remove(temp.c_str());
    FailRun(item.run, "commit");
  }
}

// One attempt of a step and, when it succeeds, its cache entry, holding a unit of the job's
// resources (when it has any) throughout: a chunk loaded but not yet recorded holds its unit, so
// a kill leaves no more such chunks (loaded again by the resumed run) than the limit.
void RunStepAttempt(const ChunkTaskSpec& spec, const ChunkCache& cache, const ChunkStep& step,
                    const std::string& step_key, const ChunkStepFiles& files) {
  std::optional<StepPermits::Permit> permit;
  if (spec.permits != nullptr) permit.emplace(spec.permits->Acquire(files.cancel));
  step.task(files);
  cache.PutStep(step_key, step.options.name, files.chunk);
}

// Runs step i on the run's chunk until it succeeds (its cache entry is stored) or its attempts
// are used up (the run fails, and the ledger retries the chunk: its task is then a cache hit).
bool RunStepAttempts(const ChunkTaskSpec& spec, const ChunkCache& cache, size_t i,
                     const RunItem& item) {
  const ChunkStep& step = (*spec.steps)[i];
  const ChunkRun& run = *item.run;
  ChunkStepFiles files{run.chunk(),      spec.chunks, 0, run.key(), "", ChunkFileName(run.chunk()),
                       item.result.rows, run.cancel()};
  if (item.result.has_file) files.output = cache.DataPath(run.key());
  const std::string step_key = StepCacheKey(step.options.name, step.options.version, run.key());
  std::chrono::milliseconds delay = step.options.retry_delay;
  for (files.attempt = 1;; ++files.attempt) {
    try {
      RunStepAttempt(spec, cache, step, step_key, files);
      spec.step_log->Attempted(run.chunk(), i, true);
      return true;
    } catch (...) {
      spec.step_log->Attempted(run.chunk(), i, false, CurrentErrorText());
      if (files.attempt >= step.options.max_attempts || run.cancel().cancelled()) {
        FailRun(item.run, StepStageName(step).c_str());
        return false;
      }
    }
    WaitBackoff(delay, run.cancel());
    delay = NextBackoff(delay, step.options.retry_delay);
  }
}

void RunStep(const ChunkTaskSpec& spec, const ChunkCache& cache, size_t i, RunItem item,
             Emitter<RunItem>* out) {
  if (item.run->failed()) return;
  if (item.run->runs_step(i) && !RunStepAttempts(spec, cache, i, item)) return;
  if (out != nullptr) {
    out->Emit(std::move(item));
  } else {
    item.run->Finish(std::move(item.result));
  }
}

// The step stages after `tail`; the last one finishes each run.
void AddStepStages(Stream<RunItem> tail, const ChunkTaskSpec& spec, const ChunkCache& cache) {
  const size_t n = spec.steps->size();
  for (size_t i = 0; i < n; ++i) {
    const ChunkStep& step = (*spec.steps)[i];
    const StageOptions options{.kind = kIo,
                               .resource = "step:" + StepStageName(step),
                               .min_concurrency = step.options.concurrency,
                               .max_concurrency = step.options.concurrency};
    if (i + 1 == n) {
      tail.Sink(
          StepStageName(step),
          [&spec, &cache, i](RunItem item) { RunStep(spec, cache, i, std::move(item), nullptr); },
          options);
      return;
    }
    tail = tail.FlatMap(
        StepStageName(step),
        [&spec, &cache, i](RunItem item, Emitter<RunItem>& out) {
          RunStep(spec, cache, i, std::move(item), &out);
        },
        options);
  }
}

}  // namespace

std::string StepStageName(const ChunkStep& step) {
  return step.options.stage.empty() ? step.options.name : step.options.stage;
}

std::string OutputSchemaGuard::Text(const Schema& schema) {
  std::string text;
  for (const Field& f : schema.fields()) text += (text.empty() ? "" : ", ") + f.ToString();
  return text;
}

void OutputSchemaGuard::Seed(int chunk, const std::string& text) {
  std::lock_guard lock(mu_);
  if (text_) return;
  text_ = text;
  chunk_ = chunk;
}

void OutputSchemaGuard::Check(int chunk, const std::string& text) {
  std::lock_guard lock(mu_);
  if (!text_) {
    text_ = text;
    chunk_ = chunk;
    return;
  }
  if (*text_ != text) {
    throw InvalidData(
        "the task returned a schema for chunk {} that differs from chunk {}'s: ({}) instead of "
        "({}); every chunk's output must have one schema",
        chunk, chunk_, text, *text_)
        .With("chunk", std::to_string(chunk));
  }
}

std::optional<std::string> OutputSchemaGuard::reference() const {
  std::lock_guard lock(mu_);
  return text_;
}

RunReport RunChunkPipeline(ChunkQueue& queue, const ChunkTaskSpec& spec, const ChunkCache& cache,
                           OutputSchemaGuard& guard, const RunOptions& run) {
  RunOptions options = run;
  options.report_path.clear();
  Pipeline p("batched");
  auto chunks =
      p.Source("chunks", [&queue](Emitter<RunItem>& out) { Source(queue, out); }, {.kind = kIo});
  const bool steps = HasSteps(spec);
  if (spec.table_task) {
    auto computed = chunks
                        .FlatMap("read",
                                 [&spec](RunItem item, Emitter<WorkItem>& out) {
                                   ReadInputs(spec, std::move(item), out);
                                 },
                                 {.kind = kIo})
                        .FlatMap("task", [&spec](WorkItem work, Emitter<WorkItem>& out) {
                          RunTask(spec, std::move(work), out);
                        });
    auto write = [&spec, &cache, &guard](WorkItem work, Emitter<RunItem>* out) {
      WriteOutput(spec, cache, guard, std::move(work), out);
    };
    if (!steps) {
      computed.Sink("write", [write](WorkItem work) { write(std::move(work), nullptr); },
                    {.kind = kIo});
    } else {
      AddStepStages(computed.FlatMap("write",
                                     [write](WorkItem work, Emitter<RunItem>& out) {
                                       write(std::move(work), &out);
                                     },
                                     {.kind = kIo}),
                    spec, cache);
    }
  } else {
    auto computed = chunks.FlatMap(
        "task",
        [&spec](RunItem item, Emitter<RunItem>& out) { RunFileTask(spec, std::move(item), out); },
        {.kind = kIo, .resource = "task"});
    auto commit = [&spec, &cache, &guard](RunItem item, Emitter<RunItem>* out) {
      CommitFileOutput(spec, cache, guard, std::move(item), out);
    };
    if (!steps) {
      computed.Sink("commit", [commit](RunItem item) { commit(std::move(item), nullptr); },
                    {.kind = kIo});
    } else {
      AddStepStages(computed.FlatMap("commit",
                                     [commit](RunItem item, Emitter<RunItem>& out) {
                                       commit(std::move(item), &out);
                                     },
                                     {.kind = kIo}),
                    spec, cache);
    }
  }
  return p.Run(options);
}

}  // namespace sluice::batch
