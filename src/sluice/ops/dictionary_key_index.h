// DictionaryKeyIndex: the group ids of rows whose key columns all arrive dictionary-encoded (a
// Parquet reader's dictionary pages, table/dictionary.h), by the combined dictionary indices
// code = i1 + n1 * (i2 + n2 * ...), where n is a dictionary's size plus one slot for null. A
// low-cardinality key then costs an index lookup per row instead of encoding and hashing it
// (DuckDB groups on dictionary vectors for the same reason). The map holds for one set of
// dictionaries, a column chunk's; other dictionaries start it afresh. A code without a group
// yet is pending: the caller finds the group of one row per pending code through the hash table,
// so the index is only a cache in front of the table and never decides what a group is.
//
// Thread safety: one thread, like the HashAggregation that owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sluice/table/array.h"

namespace sluice {

class DictionaryKeyIndex {
 public:
  static constexpr uint32_t kPending = UINT32_MAX;

  // Whether Lookup serves these key arrays: all dictionary-encoded with few enough codes that
  // a chunk's map stays small beside its rows.
  static bool Serves(std::span<const Array* const> keys);
  // Bytes the next Lookup of `keys` allocates at most (map and per-row codes).
  int64_t LookupBytes(std::span<const Array* const> keys) const;

  // groups[r] is row r's group id, or kPending; returns one row per pending code (the first),
  // whose groups the caller finds and gives to Resolve in that order before calling Finish.
  std::span<const int64_t> Lookup(std::span<const Array* const> keys, std::span<uint32_t> groups);
  void Resolve(size_t pending, uint32_t group);
  // Fills the pending rows' groups from their codes' resolved groups.
  void Finish(std::span<uint32_t> groups);

  int64_t ByteSize() const {
    return static_cast<int64_t>((map_.capacity() + codes_.capacity()) * sizeof(uint32_t) +
                                pending_.capacity() * sizeof(int64_t));
  }

 private:
  static int64_t Codes(std::span<const Array* const> keys);
  void StartChunk(std::span<const Array* const> keys);
  void Encode(std::span<const Array* const> keys);

  std::vector<std::shared_ptr<const Array>> dictionaries_;
  std::vector<uint32_t> map_;  // per code: a group id, unknown, or pending (high bit set)
  std::vector<uint32_t> codes_;
  std::vector<int64_t> pending_;
  bool unfinished_ = false;  // a Lookup's pending codes await Finish
};

}  // namespace sluice
