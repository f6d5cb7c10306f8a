// PartitionRun: one claimed partition as it moves through the compaction pipeline. The worker
// task that claimed it creates it, hands it to the pipeline and waits; the pipeline's stages
// collect its footers, store its plan, count its written files and finish or fail it. Items of a
// failed run are dropped by every later stage, so one bad partition never stops the others.
//
// Ownership: shared by the waiting task and the items in flight. Thread safety: every method may
// be called from any thread. Its outcome is a flow/completion.h Completion: the first of
// finishing and failing wins.
#pragma once

#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_gate.h"
#include "sluice/flow/completion.h"
#include "sluice/io/parquet/column_chunk_concat.h"
#include "sluice/jobs/compact/compaction_plan.h"
#include "sluice/jobs/compact/sorted_partition.h"

namespace sluice::compact {

struct OutputFileResult {
  std::string path;
  int64_t bytes = 0;
  int64_t rows = 0;
  int64_t row_groups = 0;
};

class PartitionRun {
 public:
  PartitionRun(std::string key, std::filesystem::path source_dir, std::filesystem::path output_dir)
      : key_(std::move(key)),
        source_dir_(std::move(source_dir)),
        output_dir_(std::move(output_dir)) {}

  const std::string& key() const { return key_; }
  const std::filesystem::path& source_dir() const { return source_dir_; }
  const std::filesystem::path& output_dir() const { return output_dir_; }

  // Collects footers as they arrive; the call that completes the set (all `total` footers seen
  // after the listing ended) gets the files in listing order, every other call nullopt.
  std::optional<std::vector<InputFile>> AddFooter(int index, InputFile file);
  std::optional<std::vector<InputFile>> EndListing(int total);

  // Stores the plan; with no output files (or `finish`, for a dry run) the run is finished.
  void SetPlan(std::shared_ptr<const PartitionPlan> plan, std::vector<InputFile> inputs,
               bool finish = false);
  std::shared_ptr<const PartitionPlan> plan() const;
  const std::vector<InputFile>& inputs() const { return inputs_; }  // after SetPlan

  void AddCounters(const parquet::ChunkConcatCounters& counters);
  parquet::ChunkConcatCounters counters() const;
  void AddSortStats(const SortStats& stats);
  SortCounters sort_counters() const;
  // Records a committed-to-disk output file; the last one finishes the run.
  void FileWritten(OutputFileResult file);
  std::vector<OutputFileResult> outputs() const;

  // The memory gate of the column chunks' share (compact_memory.h) of the pipeline that took the
  // run, which --verify's reads take their bytes from too; null until a pipeline took it. Set
  // before the run moves on, read after Wait; the pipeline outlives the tasks that wait on it.
  void set_column_gate(MemoryGate* gate) { column_gate_ = gate; }
  MemoryGate* column_gate() const { return column_gate_; }

  // The first failure wins, unless the run finished first; wakes the waiter.
  void Fail(std::exception_ptr error) { outcome_.Fail(std::move(error)); }
  bool failed() const { return outcome_.failed(); }
  // Blocks until the run finished or failed (rethrows its error), or cancel fired (Cancelled).
  void Wait(const CancellationToken& cancel) { outcome_.Wait(cancel); }

 private:
  std::optional<std::vector<InputFile>> TakeIfCompleteLocked();

  const std::string key_;
  const std::filesystem::path source_dir_;
  MemoryGate* column_gate_ = nullptr;
  const std::filesystem::path output_dir_;
  Completion<> outcome_;
  std::vector<InputFile> inputs_;  // written once by SetPlan, before any output exists

  mutable std::mutex mu_;
  // guarded by mu_:
  std::vector<std::optional<InputFile>> footers_;
  int received_ = 0;
  int total_ = -1;  // known when the listing ended
  bool planned_ = false;
  std::shared_ptr<const PartitionPlan> plan_;
  std::vector<OutputFileResult> outputs_;
  parquet::ChunkConcatCounters counters_;
  SortCounters sort_counters_;
};

}  // namespace sluice::compact
