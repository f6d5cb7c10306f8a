// TopNTable: the first N rows of each group by a sort order (SQL's
// `row_number() OVER (PARTITION BY groups ORDER BY order) <= N`), kept with a small sorted array
// per group instead of sorting the input: each row costs a hash-table lookup and, only when it
// beats its group's current N-th row, an insertion. Ties in the order keep stream order (the
// earlier row wins), nulls in the order columns rank last, null group keys form one group.
//
// The rows that entered a group are copied out of their batch when the batch is consumed (the
// batch is not kept); rows later pushed out are dropped when the copies are compacted, so the
// table holds O(groups x N) rows.
//
// A table is one thread's partial state: Seal splits its candidates into hash partitions of the
// group key, and one table per partition consumes every partial's piece to give the result.
//
// Thread safety: not thread-safe; one table per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/ops/group_table.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/ops/sort/row_gather.h"
#include "sluice/ops/sort/sort_key_encoder.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class TopNTable {
 public:
  // NotFound naming an unknown column; InvalidArgument for n < 1.
  TopNTable(std::shared_ptr<const Schema> schema, const std::vector<std::string>& groups,
            const std::vector<SortKey>& order, int64_t n);

  // Rows of `batch` (of the schema) whose stream positions are positions[r], or
  // first_position + r.
  void Consume(const RecordBatch& batch, std::span<const int64_t> positions);
  void Consume(const RecordBatch& batch, int64_t first_position);

  // A piece of the candidates: rows and their stream positions.
  struct Piece {
    RecordBatch batch;
    std::vector<int64_t> positions;
  };
  // The candidates split by the group key's hash partition (ops/hash_aggregation.h's
  // PartitionOf), one piece per partition.
  std::vector<Piece> Seal(int partitions) const;
  // Every group's rows, group after group (in order of first appearance), each group's best
  // first.
  RecordBatch Finish() const;

  int64_t num_groups() const { return table_.num_groups(); }
  int64_t num_rows() const;
  // Memory held: the group table, the slots and the copied rows.
  int64_t ByteSize() const;

 private:
  static constexpr uint32_t kPending = UINT32_MAX;
  struct Slot {
    std::string key;  // normalized order key, without position
    int64_t position = 0;
    uint32_t store = 0;  // index into store_, or kPending: row of the batch being consumed
    uint32_t row = 0;
  };
  static bool Before(std::string_view key, int64_t position, const Slot& slot) {
    const int c = key.compare(slot.key);
    return c != 0 ? c < 0 : position < slot.position;
  }
  std::vector<RowRef> Refs(int64_t group) const;
  void Compact();

  std::shared_ptr<const Schema> schema_;
  std::vector<int> group_columns_;
  KeyEncoder group_encoder_;
  SortKeyEncoder order_encoder_;
  int64_t n_;
  GroupTable table_;
  std::vector<Slot> slots_;  // group g's are [g * n_, g * n_ + counts_[g]), best first
  std::vector<uint32_t> counts_;
  std::vector<RecordBatch> store_;  // copies of the rows that entered a group
  int64_t store_rows_ = 0;
  // Scratch for Consume.
  std::vector<uint64_t> hashes_;
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> groups_;
  std::vector<int64_t> positions_;
};

}  // namespace sluice
