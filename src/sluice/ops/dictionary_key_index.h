// DictionaryKeyIndex: the group ids of rows whose key columns all arrive dictionary-encoded (a
// Parquet reader's dictionary pages, table/dictionary.h). Each column's dictionary entries are
// translated to ids that stay fixed for the index's life (a dictionary's values are looked up
// once, when it first arrives), and a row's code packs its columns' ids into bit fields. A
// low-cardinality key then costs a gather and an index lookup per row instead of encoding and
// hashing it (DuckDB groups on dictionary vectors for the same reason), and a key seen in one
// row group is known in the next even though each has its own dictionary, in its own order.
// A code without a group yet is pending: the caller finds the group of one row per pending code
// through the hash table, so the index is only a cache in front of the table and never decides
// what a group is. When the ids outgrow the map's bit budget, the index starts afresh.
//
// Thread safety: one thread, like the HashAggregation that owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/table/array.h"

namespace sluice {

class DictionaryKeyIndex {
 public:
  static constexpr uint32_t kPending = UINT32_MAX;

  // Whether Lookup serves these key arrays: all dictionary-encoded with few enough codes that
  // a chunk's map stays small beside its rows.
  static bool Serves(std::span<const Array* const> keys);
  // Bytes the next Lookup of `keys` allocates at most (map, ids and per-row codes).
  int64_t LookupBytes(std::span<const Array* const> keys) const;

  // groups[r] is row r's group id, or kPending; returns one row per pending code (the first),
  // whose groups the caller finds and gives to Resolve in that order before calling Finish.
  std::span<const int64_t> Lookup(std::span<const Array* const> keys, std::span<uint32_t> groups);
  void Resolve(size_t pending, uint32_t group);
  // Fills the pending rows' groups from their codes' resolved groups.
  void Finish(std::span<uint32_t> groups);

  int64_t ByteSize() const;

 private:
  struct Column {
    std::shared_ptr<const Array> dictionary;        // the one `translate` serves
    std::unordered_map<std::string, uint32_t> ids;  // a value's bytes -> its id
    std::vector<uint32_t> translate;  // dictionary index -> id; the last entry is null's (0)
    int bits = 0;                     // the id's bit field in a code
    int64_t value_bytes = 0;
  };

  void Reset(size_t columns);
  // Translates dictionaries not seen by the last lookup; false when the ids outgrow the map.
  bool Translate(std::span<const Array* const> keys);
  void Translate(Column& column, std::shared_ptr<const Array> dictionary);
  void Remap(const std::vector<int>& old_bits);
  int total_bits() const;
  void Encode(std::span<const Array* const> keys);

  std::vector<Column> columns_;
  std::vector<uint32_t> map_;  // per code: a group id, unknown, or pending (high bit set)
  std::vector<uint32_t> codes_;
  std::vector<int64_t> pending_;
  bool unfinished_ = false;  // a Lookup's pending codes await Finish
};

}  // namespace sluice
