// JoinTable: the build side of a hash join in memory (its rows in one batch, a GroupTable of the
// distinct keys, and per key a chain of the rows holding it), probed by batches of the other
// side, producing output batches of the plan's output schema.
//
// Which side is built is the caller's choice (the smaller one, usually): every join kind works
// either way round. Rows of the probe side that must appear without a match (outer, anti) are
// emitted by Probe; rows of the build side that must (outer joins preserving it; semi and anti
// joins whose build side is the left) are emitted by EmitBuildRows once every probe is done,
// from per-row "matched" flags that probes set.
//
// Keys with a null in any column are not inserted and never match (SQL equality).
//
// Thread safety: after construction, Probe may run on many threads at once (matched flags are
// set with relaxed atomic stores; they only ever go from 0 to 1). EmitBuildRows and MergeMatched
// need the probes to be finished.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "sluice/ops/group_table.h"
#include "sluice/ops/join/join_plan.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class JoinTable {
 public:
  using Emit = std::function<void(RecordBatch)>;

  // build: batches of input_schema(build_side), in any number (none is an empty side). They are
  // concatenated column by column, each column's batches released as its copy is made, so the
  // rows are held about once (JoinBuildSize::TableBytes bounds the whole table). Output batches
  // hold about output_batch_bytes (between kMinOutputRows and kOutputRows rows).
  JoinTable(const JoinPlan& plan, JoinSide build_side, std::vector<RecordBatch> build,
            int64_t output_batch_bytes = kDefaultOutputBatchBytes);

  JoinSide build_side() const { return build_side_; }
  int64_t build_rows() const { return build_.num_rows(); }
  // Memory held (resident, huge pages counted whole): the rows, the hash table, the chains and
  // flags.
  int64_t ByteSize() const;

  // Joins a batch of the other side's input schema against the table, emitting output batches
  // of about output_batch_bytes.
  void Probe(const RecordBatch& probe, const Emit& emit) const;
  // The build rows owed after all probes (see above); nothing for other kinds.
  void EmitBuildRows(const Emit& emit) const;

  // Whether a table of `build_side` keeps matched flags (the join owes build rows).
  static bool TracksMatches(const JoinPlan& plan, JoinSide build_side) {
    return plan.Preserves(build_side) || (plan.semi_or_anti() && build_side == JoinSide::kLeft);
  }

  // Matched flags, so tables built from the same rows (a skewed partition's pieces) can pool
  // what their probes found before one of them emits the build rows.
  bool tracks_matches() const { return !matched_.empty(); }
  std::span<const uint8_t> matched() const { return matched_; }
  void MergeMatched(std::span<const uint8_t> other);

  static constexpr int64_t kOutputRows = 1 << 16;
  static constexpr int64_t kMinOutputRows = 1 << 10;
  static constexpr int64_t kDefaultOutputBatchBytes = 4 << 20;

  // Rows per output batch when probing with rows of `probe_row_bytes` each: about
  // output_batch_bytes of rows, and of row indices (16 bytes a row) no more than that either.
  int64_t OutputRows(int64_t probe_row_bytes) const;

 private:
  RecordBatch Output(const RecordBatch& probe, std::span<const int64_t> probe_rows,
                     std::span<const int64_t> build_rows) const;

  const JoinPlan* plan_;
  JoinSide build_side_;
  RecordBatch build_;
  int64_t output_batch_bytes_;
  int64_t build_row_bytes_ = 0;  // per row of build_
  GroupTable table_;
  std::vector<int64_t> head_;             // per group: its last build row
  std::vector<int64_t> next_;             // per build row: the previous row of its group, or -1
  mutable std::vector<uint8_t> matched_;  // per build row, set by probes
};

}  // namespace sluice
