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
// A slot keeps nothing of its row but its rank, whose tie is the row's stream position: the table
// is a few dozen bytes a group whatever the rows hold, and the caller gathers the rows of
// AppendPositions late (top_n.h reads them back from the input).
//
// A table is one thread's partial state; partials are merged into one another (MergeFrom), group
// keys and ranks compared as they are.
//
// Thread safety: not thread-safe; one table per thread. A table may be merged from by several
// threads at once while nothing changes it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/ops/direct_key_index.h"
#include "sluice/ops/group_table.h"
#include "sluice/ops/key_encoder.h"
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

  // What MergeFrom(other) adds: the groups of `other` this table lacks, and their key bytes.
  struct Missing {
    int64_t groups = 0;
    int64_t key_bytes = 0;
  };
  Missing MissingGroups(const TopNTable& other) const;
  // This table's groups and key bytes, as Missing (a bound for MergeFrom without counting).
  Missing AllGroups() const;
  // Merges every group of `other` (of the same schema, groups, order, n and path) into this
  // table; keys are copied, so `other` may be freed afterwards. A table that merged does not
  // Consume any more.
  void MergeFrom(const TopNTable& other);

  // The stream positions of every group's rows kept, group after group (in order of first
  // appearance), each group's best first, appended to `out`.
  void AppendPositions(std::vector<int64_t>& out) const;

  bool fast_path() const { return fast_column_ >= 0; }
  int64_t num_groups() const { return table_.num_groups(); }
  int64_t num_rows() const;
  // Memory held: the group table, the slots and the scratch of Consume.
  int64_t ByteSize() const;
  // At most how far ByteSize (and what is held on the way, while arrays grow) can rise while
  // `batch` is consumed, or while MergeFrom adds `missing`, so a caller can reserve it in its
  // budget first.
  int64_t GrowthBound(const RecordBatch& batch) const;
  int64_t MergeGrowthBound(const Missing& missing) const;

 private:
  static constexpr uint64_t kEmpty = UINT64_MAX;  // tie of an empty slot
  struct Rank {
    uint64_t head;
    uint64_t tie;
  };
  // 16 bytes, so four slots share a cache line.
  struct Slot {
    Rank rank;
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
  // What AddSlots may add for `new_groups` more groups.
  int64_t SlotGrowthBound(int64_t new_groups) const;
  // Room for the slots of every group of table_.
  void AddSlots();
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
  void Merge(const TopNTable& other);

  std::shared_ptr<const Schema> schema_;
  std::vector<int> group_columns_;
  KeyEncoder group_encoder_;
  SortKeyEncoder order_encoder_;
  int fast_column_ = -1;  // the one order column of the fast path, or -1
  bool fast_descending_ = false;
  int64_t n_;
  bool merged_ = false;  // merged from partials: does not Consume
  GroupTable table_;
  DirectKeyIndex direct_;  // in front of table_
  // Group g's slots are [g * n_, (g + 1) * n_), best first, empty ones last.
  LargeVector<Slot> slots_;
  // Per group, its last slot's head: a row with a greater head is out without touching the
  // slots (most rows, once the groups are full), from an array a quarter of their size.
  LargeVector<uint64_t> worst_;
  std::vector<std::string> tails_;  // general path: the normalized key after its head
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
  std::vector<int64_t> positions_;
};

}  // namespace sluice
