// RunHashJoin: a hash join of two TableScans (Parquet or CSV files, or batches in memory) on the
// flow executor, inside a memory budget, spilling when the build side does not fit.
//
// The side with fewer rows (by the scans' estimates; bytes when a CSV scan cannot tell) is built.
// Two strategies:
// - In memory, when the build side's estimated table fits its share of the budget: the build
//   side is read and split by key hash into a few partitions whose tables are built in parallel,
//   then the probe side streams through read -> parse -> probe -> output, many batches at once.
//   Should the build side turn out larger than estimated, the join starts over as below.
// - Grace: both sides are hash-partitioned into P partitions written as spill runs
//   (JoinPartitioner); then each partition is joined in memory, as many in parallel as the budget
//   holds, building its smaller side. A partition whose build side still does not fit is
//   partitioned again with another hash seed (up to kMaxDepth levels; past that it is joined
//   over the budget, with a warning). A partition whose larger side is more than skew_factor
//   times the median partition and above skew_min_rows is split: its larger side's runs are
//   divided into pieces joined in parallel, each against its own copy of the smaller side; for
//   joins that owe unmatched rows of the built side, the pieces pool their matched flags and the
//   last piece emits those rows.
//
// Memory: options.run.memory_budget covers the whole join. A quarter goes to each pipeline's
// batches in flight (the executor's budget); three quarters to join state (build tables and
// partition buffers, a MemoryGate), whose peak is reported.
//
// Spill files live in a private SpillDirectory under options.spill_dir, removed when the call
// returns or throws (errors, cancellation).
//
// Thread safety: each call is independent; options.sink is called one batch at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/ops/join/join_plan.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct JoinOptions {
  // Shuffle partitions of a Grace join: max(cores, what makes one partition's table fit a
  // core's share of the budget) within [min, max].
  int min_partitions = 1;
  int max_partitions = 4096;
  // Parent of the job's spill directory ("" for the system temp directory).
  std::string spill_dir;
  bool skew_splitting = true;
  double skew_factor = 5;
  int64_t skew_min_rows = 1'000'000;
  RunOptions run;
  // Receives the output batches, one call at a time, in no particular order. Unset: they are
  // collected in JoinResult::batches.
  std::function<void(const RecordBatch&)> sink;
};

// One partition of a Grace join (sub-partitions of a re-partitioned one are listed too, with
// ids like "3.1").
struct JoinPartitionStats {
  std::string id;
  int depth = 0;
  JoinSide build_side = JoinSide::kRight;
  int64_t build_rows = 0;
  int64_t probe_rows = 0;
  int64_t build_bytes = 0;  // in memory
  int64_t probe_bytes = 0;
  int64_t table_bytes = 0;    // the most its table may hold (JoinBuildSize::TableBytes)
  int64_t spilled_bytes = 0;  // both sides' run files
  int pieces = 1;             // > 1: split for skew
  bool repartitioned = false;
  int64_t output_rows = 0;
};

struct JoinResult {
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;  // without a sink
  JoinSide build_side = JoinSide::kRight;
  std::string strategy;  // "in_memory" or "grace"
  int partitions = 0;
  int64_t left_rows = 0;
  int64_t right_rows = 0;
  int64_t output_rows = 0;
  int64_t spilled_bytes = 0;
  int64_t spill_files = 0;
  int64_t state_budget = 0;
  int64_t peak_state_bytes = 0;
  int64_t estimated_table_bytes = 0;  // the build side's table, estimated before reading it
  std::vector<JoinPartitionStats> partition_stats;  // Grace only
  std::vector<std::string> skewed_partitions;       // ids of the partitions split for skew
  std::vector<std::string> warnings;
  std::vector<RunReport> reports;  // one per pipeline, in run order

  // The "join" section of the run report (everything above but the batches and reports).
  nlohmann::json ToJson() const;
};

JoinResult RunHashJoin(const TableScan& left, const TableScan& right, const JoinSpec& spec,
                       const JoinOptions& options);

}  // namespace sluice
