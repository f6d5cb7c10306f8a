// GroupByMerge: one merge task of a group-by's reduce side (group_by.h). A task covers spill
// partitions [begin, end) of the S sealed ones: it merges those hash partitions of every sealed
// partial, aggregates the rows passed on in runs for them (or merges the pieces that
// pre-aggregated them, for a skewed task), and finishes the state into output batches.
//
// Memory: the state is charged to GroupByMergeMemory before it grows, step by step (a partial's
// partition, a slice of a run's batch), by the growth bound HashAggregation gives for that step.
// A task denied memory waits while other tasks may release theirs; when waiting cannot help, it
// drops the state of the pass it is building, splits that pass's share of the hash space in two
// (HashSlice) and runs the halves one after the other, reading its inputs once per pass. Passes
// hold disjoint groups, so each hands its rows to the output as it finishes, and the result is
// the same. A task whose estimate already exceeds the budget starts with that many passes. A
// pass denied memory while it holds few groups (the budget is smaller than a state's fixed part
// or one group's values) is not split but takes the memory over the limit, counted as an
// overdraft.
//
// Thread safety: tasks run concurrently on shared, read-only inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sluice/ops/group_by_merge_memory.h"
#include "sluice/ops/group_by_partial.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/partition_coalescing.h"

namespace sluice {

// What every merge task of one group-by reads.
struct GroupByMergeInputs {
  const std::vector<std::shared_ptr<GroupByPartial>>* partials = nullptr;  // sealed
  int spill_partitions = 1;                                                // S
  int fine = 1;  // hash partitions per spill partition
  const HashAggregation* run_prototype = nullptr;
  bool order_sensitive = false;
  int64_t output_batch_rows = 64 * 1024;
  // Tasks that merge at once: a task plans its passes for its fair share of the memory, since a
  // pass that outgrows what the others leave is dropped half built.
  int concurrent_tasks = 1;
  // Passes a task may split into before it takes memory over the limit (one huge group), and
  // the groups a pass must hold (with those the step denied memory may add) to be split rather
  // than take memory over the limit.
  int max_passes = 256;
  int64_t min_split_groups = 1024;
};

struct GroupByMergeTask {
  int index = 0;
  PartitionRange spill_range;
  // Pre-aggregated skew pieces, sealed into one partition; their runs are not read again.
  std::vector<std::shared_ptr<HashAggregation>> pieces;
  int64_t estimated_bytes = 0;  // of the merged state
  // Run rows expected to be new groups (rows passed on in memory, and the spilled rows' share
  // of new groups among those the partials consumed), reserved for at once.
  int64_t new_groups = 0;
};
inline int64_t ByteSize(const GroupByMergeTask&) { return sizeof(GroupByMergeTask); }

struct GroupByMergeOutcome {
  int64_t state_bytes = 0;  // of the largest pass
  int64_t groups = 0;
  int passes = 0;  // passes that finished (1 without a split)
  int splits = 0;  // passes dropped and split for memory
};

// Runs the task; emit receives its output batches. await runs the blocking waits for memory
// (Emitter::AwaitInput in the merge pipeline).
GroupByMergeOutcome RunGroupByMerge(const GroupByMergeInputs& inputs, const GroupByMergeTask& task,
                                    GroupByMergeMemory& memory,
                                    const GroupByMergeMemory::Await& await,
                                    const std::function<void(RecordBatch)>& emit);

// The blocks of a run that hold spill partitions [first, end).
std::vector<int> RunBlocksIn(const GroupBySpillRun& run, int first, int end);

// Calls fn(batch, positions) for each batch of those blocks of the run (read from disk, or
// gathered from the batches of a run held in memory), positions being the rows' stream positions
// when order_sensitive, until fn returns false (then false).
bool ForEachRunBatch(const GroupBySpillRun& run, std::vector<int> blocks, bool order_sensitive,
                     const std::function<bool(const RecordBatch&, RowPositions)>& fn);

}  // namespace sluice
