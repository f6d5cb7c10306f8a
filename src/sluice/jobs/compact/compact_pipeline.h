// The compaction pipeline on the flow executor, one run for all partitions in flight:
//
//   partitions (source, I/O)  runs handed over by worker tasks through a RunQueue
//   list       (I/O)          a partition's data files, streamed out as found
//   footer     (I/O)          each file's footer, many in flight
//   plan       (CPU)          once a partition's footers are in: unify schemas, order, bin
//                             (compaction_plan.h); emits one task per output file, or with
//                             --sort-by/--zorder-by one task for the whole partition
//   sort       (I/O pool)     --sort-by/--zorder-by only (other tasks pass): the partition's rows
//                             sorted and written into its files (sorted_partition.h), one sort
//                             per core at a time, each in an equal part of the column share;
//                             emits a task per file written
//   compact    (I/O)          (a file the sort wrote passes) the file's row groups in order, each
//   column by column: the input
//                             chunks of the column read (one ranged read each), concatenated
//                             (io/parquet/column_chunk_concat.h) and appended to the file
//                             (row_group_file_writer.h's streamed row groups)
//   commit     (I/O)          the footer written, the file renamed into place and its rows checked
//
// Every item carries its PartitionRun. A stage that fails on an item fails that partition only;
// later stages drop the partition's items.
//
// Memory (compact_memory.h): --memory is split between the executor's items (footers, tasks),
// which report their bytes, and the column chunks being compacted. A task holds one column chunk's
// inputs and output at a time, never a whole row group, and takes a MemoryGate hold for them
// before allocating; tasks wait for room, so the share bounds them however large the row groups.
// Ownership: the queue is shared by the job driver, the worker tasks and the source stage.
// Thread safety: RunQueue may be used from any thread; RunCompactPipeline runs on the caller's.
#pragma once

#include <memory>

#include "sluice/flow/hand_off_queue.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/jobs/compact/compact_options.h"
#include "sluice/jobs/compact/partition_run.h"

namespace sluice::compact {

// Worker tasks push runs, the pipeline's source pops them; the job driver closes it when the
// worker stops.
using RunQueue = HandOffQueue<std::shared_ptr<PartitionRun>>;

// Hands a run to the pipeline; once the pipeline has stopped (the queue is closed) the run fails
// at once.
void HandOver(RunQueue& queue, const std::shared_ptr<PartitionRun>& run);

struct CompactPipelineReport {
  RunReport run;  // the executor's; its budget is the items' share
  // The column chunks' share: its size, peak and the holds that passed it (a column chunk larger
  // than the whole share runs alone over it).
  int64_t column_memory_limit = 0;
  int64_t column_memory_peak = 0;
  int64_t column_memory_overdrafts = 0;
  // The whole input files' share (whole_inputs.h): 0 when the inputs are local.
  int64_t whole_input_memory_limit = 0;
  int64_t whole_input_memory_peak = 0;
};

// Runs until the queue is closed and every run handed over is finished or failed, inside
// run_options.memory_budget (the whole of --memory). Throws only for failures of the pipeline
// itself (a bug, or cancellation); every run handed over and not finished then fails with that
// error, and the queue is closed.
CompactPipelineReport RunCompactPipeline(RunQueue& queue, const CompactOptions& options,
                                         const RunOptions& run_options);

}  // namespace sluice::compact
