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
// A table is one thread's partial state. Seal lists its groups by hash partition of the group key
// (as ops/hash_aggregation.h does); a table per partition then merges that partition of every
// partial: group keys and ranks are compared as they are, and the rows stay where they are (a
// merged slot refers to a cell of the partial it came from) until Finish gathers the result.
//
// Thread safety: not thread-safe; one table per thread. A sealed table is read-only and may be
// merged from by several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/ops/direct_key_index.h"
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

  // columns: the ones kept and output (SELECT's list), empty for all; the group and order
  // columns need not be among them. NotFound naming an unknown column; InvalidArgument for
  // n < 1.
  TopNTable(std::shared_ptr<const Schema> schema, const std::vector<std::string>& groups,
            const std::vector<SortKey>& order, int64_t n,
            const std::vector<std::string>& columns = {}, Path path = Path::kAuto);

  // The schema of Finish's batches.
  const std::shared_ptr<const Schema>& output_schema() const { return output_schema_; }

  // Rows of `batch` (of the schema) whose stream positions (>= 0) are positions[r], or
  // first_position + r.
  void Consume(const RecordBatch& batch, std::span<const int64_t> positions);
  void Consume(const RecordBatch& batch, int64_t first_position);

  // Lists the groups by hash partition of their key (ops/hash_aggregation.h's PartitionOf);
  // afterwards the table is read-only.
  void Seal(int partitions);
  int64_t partition_groups(int partition) const;
  // Merges the groups of sealed `other` (of the same schema, groups, order, n and path) that fall
  // in `partition`. Keys and rows are borrowed: `other` must outlive this table's Finish. A table
  // that merges does not Consume.
  void MergePartition(const TopNTable& other, int partition);
  // Room for `groups` groups (a merge sums partition_groups of its inputs first).
  void Reserve(int64_t groups);

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
  struct Rank {
    uint64_t head;
    uint64_t tie;
  };
  // 32 bytes, so a group's two slots (N = 2) share a cache line.
  struct alignas(32) Slot {
    Rank rank;
    uint32_t cell;    // in the source's rows: in rows_, one of the group's N cells
    uint32_t source;  // 0: rows_; s > 0: merged_[s - 1]'s rows_
  };
  static bool Before(const Rank& a, const Rank& b) {
    return a.head != b.head ? a.head < b.head : a.tie < b.tie;
  }

  // The group of each row into groups_, inserting new keys: through the direct index where it
  // hits (small-integer keys), the hash table for the rest; then room for the groups' slots.
  void AssignGroups(const RecordBatch& batch);
  void HashAndEncode(std::span<const Array* const> keys);
  // The candidates of a batch (candidates_, candidate_ranks_): rows whose head does not exceed
  // their group's worst_. The fast path filters without branches, then ranks the few it kept.
  void RankFast(const RecordBatch& batch, std::span<const int64_t> positions);
  template <typename T>
  void FilterFast(const Array& a, size_t rows);
  // Returns the batch's normalized keys, which row_tails_ point into.
  Array RankGeneral(const RecordBatch& batch, std::span<const int64_t> positions);
  // Room for the slots of every group of table_ (and their cells, when the rows are own).
  void AddSlots(bool own_rows);
  template <bool kTails>
  void Place();
  // Whether the row (rank, tail) goes before slot s.
  template <bool kTails>
  bool Precedes(const Rank& rank, std::string_view tail, size_t s) const {
    const Rank& slot = slots_[s].rank;
    if constexpr (kTails) {
      if (rank.head == slot.head && slot.tie != kEmpty) {
        const int c = CompareSortKeys(tail, tails_[s]);
        if (c != 0) return c < 0;
      }
    }
    return Before(rank, slot);
  }
  // Group g's slot for a row that precedes its last slot: the last slot's row leaves and the
  // slots from the row's place on move down one.
  template <bool kTails>
  size_t Open(size_t g, const Rank& rank, std::string_view tail);
  template <bool kTails>
  void Merge(const TopNTable& other, int partition, uint32_t source);
  // Scatters copy_rows_ of the batch into copy_cells_.
  void Copy(const RecordBatch& batch);

  std::shared_ptr<const Schema> schema_;
  std::vector<int> output_columns_;  // empty: all
  std::shared_ptr<const Schema> output_schema_;
  std::vector<int> group_columns_;
  KeyEncoder group_encoder_;
  SortKeyEncoder order_encoder_;
  int fast_column_ = -1;  // the one order column of the fast path, or -1
  bool fast_descending_ = false;
  int64_t n_;
  GroupTable table_;
  DirectKeyIndex direct_;  // in front of table_
  // Group g's slots are [g * n_, (g + 1) * n_), best first, empty ones last.
  LargeVector<Slot> slots_;
  // Per group, its last slot's head: a row with a greater head is out without touching the
  // slots (most rows, once the groups are full), from an array a quarter of their size.
  LargeVector<uint64_t> worst_;
  std::vector<std::string> tails_;        // general path: the normalized key after its head
  SlotRows rows_;                         // of output_schema_
  std::vector<const TopNTable*> merged_;  // sources of merged slots
  std::vector<std::vector<uint32_t>> partitioned_;  // after Seal: groups by partition
  // Scratch for Consume.
  std::vector<const Array*> key_arrays_;
  std::vector<Array> taken_keys_;
  std::vector<int64_t> missing_;
  std::vector<uint64_t> hashes_;
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> groups_;
  std::vector<uint64_t> heads_;
  std::vector<uint32_t> candidates_;
  std::vector<Rank> candidate_ranks_;
  std::vector<std::string_view> row_tails_;
  std::vector<uint32_t> copy_rows_;
  std::vector<uint32_t> copy_cells_;
  std::vector<int64_t> positions_;
};

}  // namespace sluice
