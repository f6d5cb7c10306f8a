// The phases of a BatchedJob run (batched_job.h), shared by its two callers: Run in one process
// (batched_job.cc) and a job submitted to the ledger, whose Prepare, ComputeSubmitted and Publish
// run on different hosts (batched_job_submitted.cc). Internal to jobs/batch.
//
// Thread safety: a RunContext belongs to one run on one thread; the functions are called from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunk_pipeline.h"
#include "sluice/jobs/batch/chunk_split.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/jobs/batch/step_log.h"

namespace sluice::batched_run {

// What the phases of one run share.
struct RunContext {
  const BatchedOptions& options;
  const std::vector<ChunkStep>& steps;
  batch::ChunkingConfig chunking;
  std::string out;                 // the output directory (absolute) or s3:// prefix
  std::filesystem::path state;     // local: the ledger, split files, scratch, the last report
  std::vector<BatchInput> inputs;  // files matched once
  std::vector<batch::SplitSource> sources;
  std::map<std::string, int64_t> listing;  // the output's files before the run: name -> bytes
  std::optional<batch::BatchManifest> previous;
  std::map<std::string, batch::ManifestSource> input_sources;
  std::vector<std::vector<batch::SplitChunk>> chunk_inputs;  // [input][chunk]
  std::vector<std::string> keys;                             // the cache key per chunk
  std::vector<std::vector<std::string>> step_keys;           // [chunk][step]
  batch::StepLog* step_log = nullptr;

  std::filesystem::path split_dir() const { return state / "split"; }
  std::filesystem::path scratch_dir() const { return state / "tasks"; }
  std::string cache_dir() const { return batch::JoinLocation(out, ".sluice/cache"); }
  size_t chunk_count() const { return static_cast<size_t>(chunking.chunks); }
};

// Removes a local directory tree (absent is fine); IoError naming it otherwise.
void RemoveTree(const std::filesystem::path& dir);
// The options and inputs checked; the output as an absolute path or a URL without a trailing '/'.
std::string CheckedOutputDir(const BatchedOptions& options, const std::vector<BatchInput>& inputs,
                             const std::string& output_dir);
// The options' chunking, checked.
batch::ChunkingConfig Chunking(const BatchedOptions& options);
// The output's files by name (a local output directory is created); the run's first request
// to an object store.
std::map<std::string, int64_t> ListOutput(const std::string& out);
// The output's manifest; nullopt (with a warning) when there is none or it is malformed.
std::optional<batch::BatchManifest> ReadPreviousManifest(const std::string& out);
// The report's output, task and chunking.
void StartReport(const RunContext& ctx, BatchedReport& report);
// Step 1: everything that can be checked is checked before anything is written.
void OpenAndCheck(RunContext& ctx, const std::vector<BatchInput>& inputs);
// Steps 2 and 3: split or reuse, keys, classification. Returns the chunks to compute.
std::vector<int> SplitAndClassify(RunContext& ctx, const batch::ChunkCache& cache,
                                  batch::OutputSchemaGuard& guard, const RunOptions& run,
                                  BatchedReport& report);
// Step 5 and finalize: publishes every chunk from the cache, or throws naming the failed ones.
BatchedReport FinishRun(const RunContext& ctx, batch::ChunkCache& cache,
                        const batch::OutputSchemaGuard& guard, const RunOptions& run,
                        std::chrono::steady_clock::time_point started, const FinalizeTask& finalize,
                        const FinalizeOptions& finalize_options, BatchedReport& report);

}  // namespace sluice::batched_run
