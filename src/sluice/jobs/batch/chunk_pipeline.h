// The compute phase of a batched job: one flow pipeline that runs the task on every chunk handed
// to it through a ChunkQueue and stores each chunk's output in the ChunkCache.
//
// Table tasks (in memory):
//   chunks (source, I/O)  runs as worker tasks claim their ledger partitions
//   read   (I/O)          the chunk's split file of every input, decoded into record batches
//   task   (CPU)          the user's function, on the CPU pool
//   write  (I/O)          the output checked against the other chunks' schema, written to a
//                         local scratch file and stored in the cache (ChunkCache::Store: a
//                         rename, or an upload to an s3:// cache), the cache entry added
// File tasks (a command):
//   chunks (source, I/O) -> task (I/O: the command reads and writes local files, a core is not
//   held while it runs) -> commit (I/O: the output's footer read and checked, stored in the
//   cache)
//
// Steps after the task (batched_step.h), when the job has any, follow as stages of their own:
//   <step name> (I/O, resource "step:<name>", pinned at the step's concurrency)  the step, with
//                 its retries (each attempt holding a unit of the job's ledger resources), then
//                 its cache entry; the last step finishes the run
// An attempt whose task output is already cached passes through the task's stages untouched and
// runs only the steps it lacks.
//
// Items carry their chunk's input and output batches and report their bytes, so the memory
// budget bounds how many chunks are in memory at once. A failure fails only its chunk.
//
// Thread safety: OutputSchemaGuard may be used from any thread; RunChunkPipeline runs on the
// caller's thread.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/io/parquet/format_enums.h"
#include "sluice/jobs/batch/batched_step.h"
#include "sluice/jobs/batch/batched_task.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunk_run.h"
#include "sluice/jobs/batch/step_log.h"
#include "sluice/jobs/batch/step_permits.h"

namespace sluice::batch {

// Every chunk's output must have one schema (they are read as one table). The first schema seen
// (a cached chunk's, or the first computed one) is the reference.
class OutputSchemaGuard {
 public:
  // "a: int64, b: string", the text schemas are compared by.
  static std::string Text(const Schema& schema);
  void Seed(int chunk, const std::string& text);
  // InvalidData naming both chunks and both schemas when text differs from the reference.
  void Check(int chunk, const std::string& text);
  std::optional<std::string> reference() const;

 private:
  mutable std::mutex mu_;
  // guarded by mu_:
  std::optional<std::string> text_;
  int chunk_ = -1;
};

struct ChunkTaskSpec {
  TableTask table_task;  // one of the two
  FileTask file_task;
  int chunks = 0;
  parquet::CompressionCodec codec = parquet::CompressionCodec::kSnappy;  // of the output files
  // A local directory where each chunk's output is written before the cache stores it.
  std::filesystem::path scratch;
  const std::vector<ChunkStep>* steps = nullptr;  // after the task, in order; may be empty
  StepLog* step_log = nullptr;                    // where step stages record attempts
  // Units of the job's ledger resources each step attempt holds; null without resources.
  StepPermits* permits = nullptr;
};

// The stage (and I/O resource) name of a step.
std::string StepStageName(const ChunkStep& step);

RunReport RunChunkPipeline(ChunkQueue& queue, const ChunkTaskSpec& task, const ChunkCache& cache,
                           OutputSchemaGuard& guard, const RunOptions& run);

}  // namespace sluice::batch
