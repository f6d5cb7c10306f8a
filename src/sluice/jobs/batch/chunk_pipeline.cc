#include "sluice/jobs/batch/chunk_pipeline.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"
#include "sluice/flow/pipeline.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"

namespace sluice::batch {
namespace {

struct RunItem {
  ChunkRunPtr run;
  std::string output;  // file tasks: the temporary file the task wrote
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

void ReadInputs(const ChunkTaskSpec& spec, RunItem item, Emitter<WorkItem>& out) {
  WorkItem work{std::move(item.run), {}, {}};
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
                 WorkItem work) {
  if (work.run->failed()) return;
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
    work.run->Finish(std::move(result));
  } catch (...) {
    FailRun(work.run, "write");
  }
}

void RunFileTask(const ChunkTaskSpec& spec, RunItem item, Emitter<RunItem>& out) {
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

void CommitFileOutput(const ChunkCache& cache, OutputSchemaGuard& guard, RunItem item) {
  const std::string& temp = item.output;
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
    item.run->Finish(std::move(result));
  } catch (...) {
    std::remove(temp.c_str());
    FailRun(item.run, "commit");
  }
}

}  // namespace

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
  if (spec.table_task) {
    chunks
        .FlatMap("read",
                 [&spec](RunItem item, Emitter<WorkItem>& out) {
                   ReadInputs(spec, std::move(item), out);
                 },
                 {.kind = kIo})
        .FlatMap("task", [&spec](WorkItem work,
                                 Emitter<WorkItem>& out) { RunTask(spec, std::move(work), out); })
        .Sink("write",
              [&spec, &cache, &guard](WorkItem work) {
                WriteOutput(spec, cache, guard, std::move(work));
              },
              {.kind = kIo});
  } else {
    chunks
        .FlatMap("task",
                 [&spec](RunItem item, Emitter<RunItem>& out) {
                   RunFileTask(spec, std::move(item), out);
                 },
                 {.kind = kIo, .resource = "task"})
        .Sink("commit",
              [&cache, &guard](RunItem item) { CommitFileOutput(cache, guard, std::move(item)); },
              {.kind = kIo});
  }
  return p.Run(options);
}

}  // namespace sluice::batch
