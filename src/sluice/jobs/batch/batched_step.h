// The steps of a batched job after its task: further work per chunk on the chunk's output (an
// upload, a COPY INTO a warehouse), and one finalize step over the whole output (swap a staging
// table into place).
//
//   sluice::Batched(task, options)
//       .Then(LoadIntoWarehouse, {.name = "load", .concurrency = 128})
//       .Finalize(SwapStagingTable);
//
// A step runs on the I/O pool, up to `concurrency` chunks at once, as its own stage of the compute
// pipeline (the verdict says whether the task or a step is the bottleneck). It runs once its
// chunk's task and earlier steps succeeded, is retried on its own (max_attempts, retry_delay)
// and has its own cache entry, keyed by its name, its version and the chunk's key: a chunk whose
// step failed runs that step again without recomputing the task, a step done for the same chunk
// key is not run again, and a renamed or re-versioned step runs again alone. A step must be
// idempotent per chunk key (ChunkStepFiles::key): a run killed after the step took effect but
// before its entry was stored runs it again.
//
// Finalize runs after every chunk's task and steps succeeded and the manifest is written, once per
// change of the chunk set: its cache key covers its name and version, every chunk's key and every
// step's key. A failure leaves the chunks cached and published and is retried by the next run.
//
// Thread safety: plain values; steps are called from many threads at once, finalize from the
// thread that called Run.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"

namespace sluice {

// What a step gets for one chunk.
struct ChunkStepFiles {
  int chunk = 0;
  int chunks = 0;
  int64_t attempt = 0;  // this step's attempt for this chunk in this run, from 1
  std::string key;      // the chunk's cache key: changes exactly when the chunk's output does
  // The chunk's output in the cache (a local path, or an s3:// URL for an s3:// output); empty
  // when the task returned no output for this chunk.
  std::string output;
  std::string file;  // the name it is published under in the output, "chunk-NNNNN.parquet"
  int64_t rows = 0;
  CancellationToken cancel;
};

// Throws (any exception) to fail the attempt.
using StepTask = std::function<void(const ChunkStepFiles&)>;

struct StepOptions {
  // The step's identity in its cache keys and, unless `stage` is set, its stage's name.
  std::string name;  // default "then<N>", N its position from 1
  std::string version = "1";
  int concurrency = 128;     // chunks in this step at once
  int64_t max_attempts = 3;  // per chunk and run; then the chunk's ledger attempt fails
  std::chrono::milliseconds retry_delay{1000};  // backoff base between attempts
  std::string stage;                            // the stage's name in the report
};

struct ChunkStep {
  StepTask task;
  StepOptions options;
};

// What the finalize step gets.
struct FinalizeContext {
  std::string output_dir;            // as the report names it
  std::string manifest;              // <output_dir>/manifest.json
  std::vector<std::string> outputs;  // every chunk file, <output_dir>/chunk-NNNNN.parquet
  std::string key;                   // the finalize key: changes with the chunk set
  int64_t attempt = 0;               // from 1
  CancellationToken cancel;
};

using FinalizeTask = std::function<void(const FinalizeContext&)>;

struct FinalizeOptions {
  std::string name = "finalize";  // identity in the finalize key
  std::string version = "1";
  int64_t max_attempts = 3;
  std::chrono::milliseconds retry_delay{1000};
};

}  // namespace sluice
