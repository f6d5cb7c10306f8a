// GroupByPartial: one aggregate task's share of a group-by's map side, inside the memory budget.
// It folds batches into a HashAggregation of its own while the shared state budget lets it grow;
// when the budget is spent it stops adding groups (rows of groups it has keep being absorbed) and
// passes the other rows on by key hash partition, written out as spill runs of flush_bytes; if
// even the groups it has keep growing (median holds its values), it stops absorbing rows
// altogether. This is hybrid hash aggregation: low-cardinality queries never spill,
// high-cardinality ones spill only what does not fit.
//
// High cardinality: when a partial's table has grown large and most rows of a batch still make
// new groups, map-side aggregation no longer reduces anything and building the table only costs
// memory and cache misses. The partial then partitions rows first (as DuckDB abandons a full
// thread-local table into radix partitions): rows of groups it has are still absorbed, the rest
// are split by hash partition and kept in memory as a run that the reduce side aggregates once.
// A run in memory copies nothing: it keeps the input batches and each partition's row numbers
// in them, and the reduce side gathers the rows as it aggregates them. If the budget runs out,
// what is held goes to disk as an ordinary spill run, and partitioning goes on. Rows passed on
// for any reason take this one path: split by the hashes their lookup computed, gathered once,
// by partition, when written.
//
// A run holds one block per spill partition that got rows (block_of_partition), so the reduce
// side reads exactly its partitions' blocks. When the query is order-sensitive (first, last,
// user aggregates) spilled rows carry their stream position as a trailing int64 column.
//
// Thread safety: a GroupByPartial is used by one thread at a time; the GroupBySpill it shares
// with the other partials is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/base/memory_budget.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/spill.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// What the partials of one group-by share: the state budget and the spill directory (created on
// the first spill).
class GroupBySpill {
 public:
  // partitions: the spill fan-out; flush_bytes: the rows a frozen partial holds before it
  // writes them out;
  // partition_first_groups: the table size from which a partial whose batches mostly make new
  // groups partitions rows first; concurrency: the partials that run at once.
  GroupBySpill(const Schema& input, const GroupBySpec& spec, const HashAggregation& prototype,
               int64_t state_limit, int partitions, int64_t flush_bytes,
               int64_t partition_first_groups, std::string spill_dir, int concurrency = 1);

  MemoryBudget& budget() { return budget_; }
  int partitions() const { return partitions_; }
  int64_t flush_bytes() const { return flush_bytes_; }
  int64_t partition_first_groups() const { return partition_first_groups_; }
  // Partials that share the budget at once (threads).
  int concurrency() const { return concurrency_; }
  // Runs carry only the columns the query reads (plus positions when order-sensitive).
  const std::shared_ptr<const Schema>& spill_schema() const { return spill_schema_; }
  // The columns a run carries, without positions, as a zero-copy view of an input batch.
  RecordBatch Project(const RecordBatch& batch) const;
  // The same query over the spill schema: what aggregates runs (merges, skew pieces).
  const HashAggregation& run_prototype() const { return *run_prototype_; }
  bool order_sensitive() const { return order_sensitive_; }
  SpillDirectory& directory();
  // Null when nothing spilled.
  const SpillDirectory* directory_if_created() const;

 private:
  MemoryBudget budget_;
  int partitions_;
  int64_t flush_bytes_;
  int64_t partition_first_groups_;
  int concurrency_;
  bool order_sensitive_;
  std::vector<int> columns_;  // of the input, in spill order
  std::shared_ptr<const Schema> projected_schema_;
  std::shared_ptr<const Schema> spill_schema_;
  std::unique_ptr<HashAggregation> run_prototype_;
  std::string spill_dir_;
  mutable std::mutex mu_;
  std::unique_ptr<SpillDirectory> directory_;  // guarded by mu_
};

// Rows of one input batch that fall in one spill partition.
struct PassedRows {
  RecordBatch batch;
  int64_t position = 0;  // of the batch's first row in the input stream
  std::vector<int64_t> rows;
  uint64_t source = 0;  // the Scatter call (one per input batch) the rows came from
};

struct GroupBySpillRun {
  SpillRun run;  // on disk; path empty for a run held in memory
  // A run held in memory: its batches by spill partition (the block of partition p is p).
  std::vector<std::vector<PassedRows>> memory;
  std::vector<int> block_of_partition;  // -1: no rows of that partition
  std::vector<int64_t> rows_of_partition;
  std::vector<int64_t> bytes_of_partition;  // in memory, before compression
};

class GroupByPartial {
 public:
  GroupByPartial(const HashAggregation& prototype, GroupBySpill& spill);

  void Consume(const RecordBatch& batch, int64_t position);
  // Writes what is buffered; call once after the last batch.
  void FinishInput();

  HashAggregation& state() { return *state_; }
  const HashAggregation& state() const { return *state_; }
  const std::vector<GroupBySpillRun>& runs() const { return runs_; }
  int64_t spilled_rows() const { return spilled_rows_; }          // to disk
  int64_t partitioned_rows() const { return partitioned_rows_; }  // kept in memory runs
  // Of the spilled rows, those buffered once closed (all rows of a batch, mostly of groups it has).
  int64_t closed_rows() const { return closed_rows_; }

 private:
  enum class Mode { kOpen, kPartitioning, kFrozen, kClosed };
  void ConsumeSlice(const RecordBatch& batch, int64_t position);
  // What the partial holds: state (with its scratch), buffer, rows passed on in memory.
  int64_t HeldBytes() const;
  // Grows the reservation to what is held plus `growth` (charged before a step that may grow
  // that much); false when the budget refuses.
  bool Charge(int64_t growth);
  // After a step: the reservation follows what is held. Past the limit only when a closed
  // partial's state alone is over it (counted as an overdraft: it holds the bytes already).
  void Settle();
  // Splits `rows` of the batch by spill partition (from hashes, one per row of the batch) into
  // the run being built.
  void Scatter(const RecordBatch& batch, std::span<const int64_t> rows,
               std::span<const uint64_t> hashes, int64_t position);
  // The memory run being built, as a run: kept in memory, or written to disk.
  void SealScattered(bool to_disk);
  // The scattered rows taken, by partition (in scattered_'s order); each input batch is released
  // once all its partitions have their rows.
  std::vector<std::vector<RecordBatch>> GatherScattered();

  std::unique_ptr<HashAggregation> state_;
  std::unique_ptr<HashAggregation> run_keys_;  // hashes projected rows when a buffer is flushed
  GroupBySpill& spill_;
  Reservation reservation_;
  Mode mode_ = Mode::kOpen;
  std::vector<GroupBySpillRun> runs_;
  int64_t spilled_rows_ = 0;
  int64_t partitioned_rows_ = 0;
  int64_t closed_rows_ = 0;
  std::vector<std::vector<PassedRows>> scattered_;  // by spill partition
  uint64_t scatter_calls_ = 0;
  int64_t scattered_bytes_ = 0;
  int64_t memory_run_bytes_ = 0;  // held by runs kept in memory
  std::vector<std::vector<int64_t>> rows_of_partition_;
  std::vector<int64_t> missing_;
  std::vector<int64_t> all_rows_;
  std::vector<uint64_t> closed_hashes_;
};

}  // namespace sluice
