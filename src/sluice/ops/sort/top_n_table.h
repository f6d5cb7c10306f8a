// TopNTable: the first N rows of each group by a sort order (SQL's
// `row_number() OVER (PARTITION BY groups ORDER BY order) <= N`), kept in N slots per group
// instead of sorting the input: each row costs a hash-table lookup and one compare with its
// group's N-th slot; only a row that beats it is inserted. Ties in the order keep stream order
// (the earlier row wins), nulls in the order columns rank last, null group keys form one group.
//
// A slot's rank is two integers compared in order, (head, tie), held in flat arrays indexed by
// group, so the reject test is a load and two integer compares:
//  - fast path, one order column of a fixed-width number type (bool, ints, floats, date32,
//    timestamp): head is the value's order-preserving image (NormalizeSortValue, inverted when
//    descending; nulls UINT64_MAX), tie is the stream position with bit 63 set for a null;
//  - general path, any order columns: head is the first 8 bytes of the normalized key
//    (sort_key_encoder.h, zero-padded), the rest of the key is kept as a string compared on
//    equal heads, and tie is the position. The normalized keys of one encoder are prefix-free,
//    so comparing (head, rest) is comparing the whole key.
// Empty slots have tie kEmpty and sort after every row.
//
// Each group owns N cells of a SlotRows (slot_rows.h): a row that enters a group takes the cell
// of the row it pushes out, and is copied there when its batch is done (if it is still in), so
// the table holds exactly groups x N rows and never compacts.
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
#include "sluice/ops/sort/slot_rows.h"
#include "sluice/ops/sort/sort_key_encoder.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class TopNTable {
 public:
  enum class Path {
    kAuto,     // the fast path when the order allows it
    kGeneral,  // always the general path (tests compare the two)
  };

  // NotFound naming an unknown column; InvalidArgument for n < 1.
  TopNTable(std::shared_ptr<const Schema> schema, const std::vector<std::string>& groups,
            const std::vector<SortKey>& order, int64_t n, Path path = Path::kAuto);

  // Rows of `batch` (of the schema) whose stream positions (>= 0) are positions[r], or
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

  bool fast_path() const { return fast_column_ >= 0; }
  int64_t num_groups() const { return table_.num_groups(); }
  int64_t num_rows() const;
  // Memory held: the group table, the slots and the copied rows.
  int64_t ByteSize() const;

 private:
  static constexpr uint64_t kEmpty = UINT64_MAX;  // tie of an empty slot
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Rank {
    uint64_t head;
    uint64_t tie;
  };
  struct SlotCell {
    uint32_t cell;     // in rows_: one of the group's N cells
    uint32_t pending;  // row of the batch being consumed still to copy into the cell, or kNone
  };
  static bool Before(const Rank& a, const Rank& b) {
    return a.head != b.head ? a.head < b.head : a.tie < b.tie;
  }

  void AssignGroups(const RecordBatch& batch);
  void RankFast(const RecordBatch& batch, std::span<const int64_t> positions);
  // Returns the batch's normalized keys, which row_tails_ point into.
  Array RankGeneral(const RecordBatch& batch, std::span<const int64_t> positions);
  template <bool kTails>
  void Place(size_t rows);
  void CopyPending(const RecordBatch& batch);
  // Cells of the group's filled slots, best first, appended.
  void LiveCells(int64_t group, std::vector<uint32_t>& cells) const;

  std::shared_ptr<const Schema> schema_;
  std::vector<int> group_columns_;
  KeyEncoder group_encoder_;
  SortKeyEncoder order_encoder_;
  int fast_column_ = -1;  // the one order column of the fast path, or -1
  bool fast_descending_ = false;
  int64_t n_;
  GroupTable table_;
  // Group g's slots are [g * n_, (g + 1) * n_), best first, empty ones last.
  std::vector<Rank> ranks_;
  std::vector<SlotCell> cells_;
  std::vector<std::string> tails_;  // general path: the normalized key after its head
  SlotRows rows_;
  // Scratch for Consume.
  std::vector<uint64_t> hashes_;
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> groups_;
  std::vector<Rank> row_ranks_;
  std::vector<std::string_view> row_tails_;
  std::vector<uint32_t> touched_;
  std::vector<uint32_t> copy_rows_;
  std::vector<uint32_t> copy_cells_;
  std::vector<int64_t> positions_;
};

}  // namespace sluice
