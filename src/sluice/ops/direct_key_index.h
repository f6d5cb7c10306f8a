// DirectKeyIndex: the group ids of small-integer keys by array lookup. When every group key is an
// integer column and the values span a small range, a key's group is found at slot
// (v1 - min1) + span1 * ((v2 - min2) + span2 * ...) without hashing or encoding the row: DuckDB's
// perfect hash aggregation, with the ranges taken from the first batch seen instead of file
// statistics. A row outside the ranges, with a null key, or whose key has no group recorded yet
// misses; the caller finds its group through the hash table and records it, so the index is only
// ever a cache in front of the table and never decides what a group is.
//
// Thread safety: one thread, like the HashAggregation that owns it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sluice/base/large_pages.h"
#include "sluice/table/array.h"
#include "sluice/table/type.h"

namespace sluice {

class DirectKeyIndex {
 public:
  static constexpr uint32_t kMiss = UINT32_MAX;
  // Slots at most: 4 MiB of group ids.
  static constexpr int64_t kMaxSlots = int64_t{1} << 20;

  // Usable only for integer key types (then after the first Lookup sized it).
  explicit DirectKeyIndex(std::span<const DataType> types);

  // Whether lookups may hit: integer keys whose first batch's ranges fit kMaxSlots.
  bool enabled() const { return enabled_; }
  // Bytes the next Lookup of `keys` allocates at most (the map, when it sizes the index, and its
  // per-row scratch), so a caller can reserve them first.
  int64_t LookupBytes(std::span<const Array* const> keys) const;

  // groups[r] is row r's group id, or kMiss; returns the number of misses. The first call sizes
  // the ranges from `keys` (one array per key column, equal lengths).
  int64_t Lookup(std::span<const Array* const> keys, std::span<uint32_t> groups);
  // Records the group of row `row` of the last Lookup (nothing when its key has no slot).
  void Record(int64_t row, uint32_t group) {
    const int64_t slot = row_slots_[static_cast<size_t>(row)];
    if (slot >= 0) map_[static_cast<size_t>(slot)] = group + 1;
  }

  int64_t ByteSize() const {
    return static_cast<int64_t>(map_.capacity() * sizeof(uint32_t) +
                                row_slots_.capacity() * sizeof(int64_t));
  }

 private:
  struct Range {
    int64_t min = 0;
    int64_t span = 0;
    int64_t stride = 0;
  };

  void Size(std::span<const Array* const> keys);
  // The ranges of the keys' values and the slots they span; 0 when the index cannot serve them.
  static int64_t Ranges(std::span<const Array* const> keys, std::vector<Range>* ranges);

  std::vector<DataType> types_;
  bool sized_ = false;
  bool enabled_ = false;
  std::vector<Range> ranges_;
  LargeVector<uint32_t> map_;       // group id + 1; 0 is no group yet
  std::vector<int64_t> row_slots_;  // per row of the last Lookup; -1 when it has none
};

}  // namespace sluice
