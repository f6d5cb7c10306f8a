// The compaction pipeline on the flow executor, one run for all partitions in flight:
//
//   partitions (source, I/O)  runs handed over by worker tasks (RunQueue)
//   list       (I/O)          a partition's data files, streamed out as found
//   footer     (I/O)          each file's footer, many in flight
//   plan       (CPU)          once a partition's footers are in: unify schemas, order, bin
//                             (compaction_plan.h); emits one task per output row group
//   read       (I/O)          the input row groups' bytes, one ranged read each
//   concat     (CPU)          column by column (io/parquet/column_chunk_concat.h)
//   write      (I/O)          appended to the output file; the last row group writes the footer
//                             and renames the file into place (row_group_file_writer.h)
//
// Every item carries its PartitionRun. A stage that fails on an item fails that partition only;
// later stages drop the partition's items. Memory: items report their bytes (footers, input row
// groups, encoded row groups), so the run's memory budget bounds what is in flight.
//
// Ownership: the queue is shared by the job driver, the worker tasks and the source stage.
// Thread safety: RunQueue may be used from any thread; RunCompactPipeline runs on the caller's.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "sluice/compact/compact_options.h"
#include "sluice/compact/partition_run.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"

namespace sluice::compact {

class RunQueue {
 public:
  // Hands a run to the pipeline; a closed queue fails the run at once.
  void Push(std::shared_ptr<PartitionRun> run);
  // The next run, or null once the queue is closed and drained.
  std::shared_ptr<PartitionRun> Pop();
  void Close();
  // Fails every run pushed so far that has not finished (the pipeline stopped).
  void FailAll(std::exception_ptr error);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_:
  std::deque<std::shared_ptr<PartitionRun>> runs_;
  std::vector<std::weak_ptr<PartitionRun>> pushed_;
  bool closed_ = false;
};

// Runs until the queue is closed and every run handed over is finished or failed. Throws only
// for failures of the pipeline itself (a bug, or cancellation).
RunReport RunCompactPipeline(RunQueue& queue, const CompactOptions& options,
                             const RunOptions& run_options);

}  // namespace sluice::compact
