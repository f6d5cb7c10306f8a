// Internals of RunHashJoin shared by its two strategies (hash_join.cc, grace_join.cc): the run's
// context and the scan stages every pipeline of the join starts with.
//
// Thread safety: JoinContext's sink and stats are guarded by their mutexes; the rest is set up
// before any pipeline runs and read-only afterwards.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "sluice/base/memory_gate.h"
#include "sluice/flow/pipeline.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/ops/join/join_plan.h"

namespace sluice::join_internal {

// A join side that one pipeline reads.
struct JoinInput {
  const TableScan* scan;
  JoinSide side;
};

struct JoinContext {
  JoinContext(const JoinPlan& plan, const JoinOptions& options, JoinResult& result);

  // Hands an output batch to the caller's sink (one at a time) or collects it.
  void Output(const RecordBatch& batch);
  // Runs a pipeline with the join's pipeline options and keeps its report.
  void Run(Pipeline& pipeline);
  void Warn(std::string text);

  // Bytes an output batch is built up to: what the executor hands over at once (a sixteenth of
  // its budget), so a batch in the making is no larger than one it already counts.
  int64_t OutputBatchBytes() const;

  const JoinPlan& plan;
  const JoinOptions& options;
  JoinResult& result;
  RunOptions run;  // the pipelines' options: a quarter of the budget, no report file
  int cores = 1;
  MemoryGate memory;  // join state: three quarters of the budget

  std::mutex mu;  // guards result.batches, result.warnings and the sink calls
  std::atomic<int64_t> output_rows{0};
};

// What a table of all of `input`'s rows would hold (JoinBuildSize::TableBytes), from the scan's
// row and byte counts before anything is read: key bytes from the key columns' types (strings
// as their column's share of the bytes), rows spread evenly over the columns.
int64_t EstimateTableBytes(const JoinInput& input, const JoinPlan& plan);

// units -> read -> parse (batches normalized for `input.side`). A read of a unit is skipped
// while *skip is true (a strategy giving up early).
inline Stream<RecordBatch> ScanStages(Pipeline& pipeline, const JoinInput& input,
                                      const JoinPlan& plan,
                                      const std::atomic<bool>* skip = nullptr) {
  const TableScan* scan = input.scan;
  const JoinSide side = input.side;
  return pipeline.Source("units", scan->units())
      .FlatMap("read",
               [scan, skip](const ScanUnit& unit, Emitter<ScanPiece>& out) {
                 if (skip != nullptr && skip->load(std::memory_order_relaxed)) return;
                 scan->ReadPieces(unit, [&out](ScanPiece piece) { out.Emit(std::move(piece)); });
               })
      .FlatMap("parse", [scan, side, &plan](ScanPiece piece, Emitter<RecordBatch>& out) {
        scan->Parse(piece, [&](RecordBatch b, int64_t) { out.Emit(plan.Normalize(side, b)); });
      });
}

// The Grace strategy: partitions both sides to spill runs and joins partition by partition.
void RunGraceJoin(JoinContext& ctx, const JoinInput& left, const JoinInput& right);

}  // namespace sluice::join_internal
