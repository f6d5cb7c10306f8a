// The compaction pipeline on the flow executor, one run for all partitions in flight:
//
//   partitions (source, I/O)  runs handed over by worker tasks through a RunQueue
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

#include <memory>

#include "sluice/compact/compact_options.h"
#include "sluice/compact/partition_run.h"
#include "sluice/flow/hand_off_queue.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"

namespace sluice::compact {

// Worker tasks push runs, the pipeline's source pops them; the job driver closes it when the
// worker stops.
using RunQueue = HandOffQueue<std::shared_ptr<PartitionRun>>;

// Hands a run to the pipeline; once the pipeline has stopped (the queue is closed) the run fails
// at once.
void HandOver(RunQueue& queue, const std::shared_ptr<PartitionRun>& run);

// Runs until the queue is closed and every run handed over is finished or failed. Throws only
// for failures of the pipeline itself (a bug, or cancellation); every run handed over and not
// finished then fails with that error, and the queue is closed.
RunReport RunCompactPipeline(RunQueue& queue, const CompactOptions& options,
                             const RunOptions& run_options);

}  // namespace sluice::compact
