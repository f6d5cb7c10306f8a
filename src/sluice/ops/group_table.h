// GroupTable: the distinct keys seen so far, each with a dense group id (0, 1, 2, ... in order of
// first appearance). The hash table of group-by, distinct, and a join's build side. Keys are
// KeyEncoder strings kept in one arena; the table is open addressing with linear probing over
// slots of (hash tag, group id), so a probe touches the key bytes only on a tag match.
//
// Large tables live on huge pages (base/large_pages.h). A merge may insert keys borrowed from
// another table (copy_key false) instead of copying them, when that table outlives this one.
//
// Callers give each key's 64-bit hash (table/hash.h row hashes): the same hash decides the
// shuffle partition, so rows of a partition share no structure with the probe order beyond it.
//
// Thread safety: not thread-safe; one table per thread, merged afterwards with Insert.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/base/large_pages.h"

namespace sluice {

class GroupTable {
 public:
  GroupTable();

  // The group id of each key, inserting the ones not present.
  void FindOrInsert(std::span<const uint64_t> hashes, std::span<const std::string_view> keys,
                    std::span<uint32_t> groups);
  // With copy_key false a new key is kept as the given view: its bytes must outlive the table.
  uint32_t FindOrInsert(uint64_t hash, std::string_view key, bool copy_key = true);
  // The group id, or -1 when absent (a join's probe side).
  int64_t Find(uint64_t hash, std::string_view key) const;

  int64_t num_groups() const { return static_cast<int64_t>(hashes_.size()); }
  uint64_t hash(int64_t group) const { return hashes_[static_cast<size_t>(group)]; }
  std::string_view key(int64_t group) const { return keys_[static_cast<size_t>(group)]; }
  std::span<const std::string_view> keys() const { return keys_; }

  // Cache hints for a loop that visits groups or hashes ahead of use (a merge reading another
  // table's groups in partition order): the group's hash and key view, its key bytes, the slot.
  void PrefetchGroup(int64_t group) const {
    __builtin_prefetch(&hashes_[static_cast<size_t>(group)]);
    __builtin_prefetch(&keys_[static_cast<size_t>(group)]);
  }
  void PrefetchKey(int64_t group) const {
    __builtin_prefetch(keys_[static_cast<size_t>(group)].data());
  }
  void PrefetchSlot(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }

  // Room for `groups` groups without rehashing (a merge knows how many are coming).
  void Reserve(int64_t groups);

  // Memory held (slots, arena, hashes), for the memory budget.
  int64_t ByteSize() const;
  // At most how far ByteSize, and the memory held on the way (a rehash holds the old slots and
  // the new), can grow while up to `new_groups` keys of `new_key_bytes` bytes in all are
  // inserted (copied; 0 bytes for borrowed keys) or Reserve makes room for that many more.
  int64_t GrowthBound(int64_t new_groups, int64_t new_key_bytes) const;
  // The average bytes of a stored key (16 before any).
  double average_key_bytes() const;

 private:
  struct Slot {
    uint32_t tag;    // high bits of the hash
    uint32_t group;  // group id + 1; 0 marks an empty slot
  };

  struct BlockFree {
    size_t bytes = 0;
    void operator()(char* data) const { FreeLarge(data, bytes); }
  };

  void Rehash(size_t slots);
  std::string_view Store(std::string_view key);

  LargeVector<Slot> slots_;
  uint64_t mask_ = 0;
  std::vector<std::unique_ptr<char[], BlockFree>> blocks_;
  char* block_end_ = nullptr;
  char* block_next_ = nullptr;
  int64_t arena_bytes_ = 0;
  LargeVector<std::string_view> keys_;  // into blocks_, or borrowed
  LargeVector<uint64_t> hashes_;
};

}  // namespace sluice
