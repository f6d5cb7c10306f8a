#include "sluice/ops/group_table.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {
namespace {

constexpr size_t kInitialSlots = 1024;
// The first arena block; later ones are a quarter of the arena, so a big table has few.
constexpr size_t kMinBlockBytes = 64 * 1024;
// Probes this many rows ahead prefetch their slot, so a table larger than the cache costs one
// overlapped miss per row rather than one stall.
constexpr size_t kPrefetchDistance = 16;

uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Key equality without a call into memcmp: keys are short (a few columns' bytes), and most
// comparisons are of equal keys after a tag match.
inline bool SameKey(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (Load<uint64_t>(p + i) != Load<uint64_t>(q + i)) return false;
    }
    return Load<uint64_t>(p + n - 8) == Load<uint64_t>(q + n - 8);
  }
  if (n >= 4) {
    return Load<uint32_t>(p) == Load<uint32_t>(q) &&
           Load<uint32_t>(p + n - 4) == Load<uint32_t>(q + n - 4);
  }
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}

}  // namespace

GroupTable::GroupTable() : slots_(kInitialSlots, Slot{0, 0}), mask_(kInitialSlots - 1) {}

std::string_view GroupTable::Store(std::string_view key) {
  if (static_cast<size_t>(block_end_ - block_next_) < key.size()) {
    // Blocks grow with the arena (a quarter of it), so a big table has few, huge-page blocks.
    const size_t size =
        std::max({kMinBlockBytes, key.size(), static_cast<size_t>(arena_bytes_ / 4)});
    blocks_.emplace_back(static_cast<char*>(AllocateLarge(size)), BlockFree{size});
    block_next_ = blocks_.back().get();
    block_end_ = block_next_ + size;
    arena_bytes_ += static_cast<int64_t>(size);
  }
  if (!key.empty()) std::memcpy(block_next_, key.data(), key.size());
  std::string_view stored(block_next_, key.size());
  block_next_ += key.size();
  return stored;
}

uint32_t GroupTable::FindOrInsert(uint64_t hash, std::string_view key, bool copy_key) {
  const uint32_t tag = Tag(hash);
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.group == 0) {
      const size_t group = hashes_.size();
      if (group >= std::numeric_limits<uint32_t>::max() - 1) {
        throw InvalidArgument("more than 4 billion groups in one hash table partition")
            .With("hint", "use more shuffle partitions");
      }
      keys_.push_back(copy_key ? Store(key) : key);
      hashes_.push_back(hash);
      slot = Slot{tag, static_cast<uint32_t>(group + 1)};
      // Grow at 50% load: linear probing stays short.
      if (2 * hashes_.size() > slots_.size()) Rehash(slots_.size() * 2);
      return static_cast<uint32_t>(group);
    }
    if (slot.tag == tag && SameKey(key, keys_[slot.group - 1])) {
      return slot.group - 1;
    }
  }
}

void GroupTable::FindOrInsert(std::span<const uint64_t> hashes,
                              std::span<const std::string_view> keys, std::span<uint32_t> groups) {
  SLUICE_CHECK_EQ(hashes.size(), keys.size());
  SLUICE_CHECK_EQ(hashes.size(), groups.size());
  const size_t n = hashes.size();
  // Three dependent loads find a row's group (slot, key view, key bytes): each is prefetched a
  // stage ahead of the next, once the one before it has arrived, so a table beyond the caches
  // costs about one miss per row instead of three.
  constexpr size_t kViewDistance = kPrefetchDistance / 2;
  constexpr size_t kKeyDistance = kPrefetchDistance / 4;
  for (size_t r = 0; r < n; ++r) {
    if (r + kPrefetchDistance < n) {
      __builtin_prefetch(&slots_[hashes[r + kPrefetchDistance] & mask_]);
    }
    if (r + kViewDistance < n) {
      const Slot& slot = slots_[hashes[r + kViewDistance] & mask_];
      if (slot.group != 0) __builtin_prefetch(&keys_[slot.group - 1]);
    }
    if (r + kKeyDistance < n) {
      const Slot& slot = slots_[hashes[r + kKeyDistance] & mask_];
      if (slot.group != 0) __builtin_prefetch(keys_[slot.group - 1].data());
    }
    groups[r] = FindOrInsert(hashes[r], keys[r]);
  }
}

int64_t GroupTable::Find(uint64_t hash, std::string_view key) const {
  const uint32_t tag = Tag(hash);
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.group == 0) return -1;
    if (slot.tag == tag && SameKey(key, keys_[slot.group - 1])) {
      return slot.group - 1;
    }
  }
}

void GroupTable::Reserve(int64_t groups) {
  size_t slots = slots_.size();
  while (slots < 2 * static_cast<size_t>(groups) + 1) slots *= 2;
  if (slots != slots_.size()) Rehash(slots);
  keys_.reserve(static_cast<size_t>(groups));
  hashes_.reserve(static_cast<size_t>(groups));
}

void GroupTable::Rehash(size_t size) {
  slots_.assign(size, Slot{0, 0});
  mask_ = slots_.size() - 1;
  // Group order reads the hashes sequentially; only the slot writes are random.
  for (size_t g = 0; g < hashes_.size(); ++g) {
    uint64_t i = hashes_[g] & mask_;
    while (slots_[i].group != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{Tag(hashes_[g]), static_cast<uint32_t>(g + 1)};
  }
}

int64_t GroupTable::GrowthBound(int64_t new_groups, int64_t new_key_bytes) const {
  if (new_groups <= 0) return 0;
  const size_t groups = hashes_.size() + static_cast<size_t>(new_groups);
  int64_t bytes = 0;
  size_t slots = slots_.size();
  while (2 * groups > slots) slots *= 2;
  // The last rehash holds the new slots and the previous ones.
  if (slots != slots_.size()) bytes += static_cast<int64_t>((slots + slots / 2) * sizeof(Slot));
  size_t capacity = std::max<size_t>(hashes_.capacity(), 1);
  while (capacity < groups) capacity *= 2;
  // keys_ and hashes_ grow by doubling, each holding its old storage while it copies.
  if (capacity != hashes_.capacity()) {
    bytes += static_cast<int64_t>((capacity + capacity / 2) *
                                  (sizeof(std::string_view) + sizeof(uint64_t)));
  }
  const int64_t room = block_end_ - block_next_;
  if (new_key_bytes > room) {
    // New blocks hold the keys that do not fit the current one, plus the unused end of the last
    // (a block is at least a quarter of the arena) and of each block a key did not fit in.
    const int64_t more = new_key_bytes - room;
    bytes += more + std::max<int64_t>(kMinBlockBytes, (arena_bytes_ + more) / 4) + 4096;
  }
  return bytes;
}

double GroupTable::average_key_bytes() const {
  if (keys_.empty()) return 16;
  // A sample of 64 keys spread over the groups.
  const size_t step = std::max<size_t>(1, keys_.size() / 64);
  size_t bytes = 0;
  size_t seen = 0;
  for (size_t g = 0; g < keys_.size(); g += step, ++seen) bytes += keys_[g].size();
  return static_cast<double>(bytes) / static_cast<double>(seen);
}

int64_t GroupTable::ByteSize() const {
  return arena_bytes_ + static_cast<int64_t>(slots_.capacity() * sizeof(Slot) +
                                             keys_.capacity() * sizeof(std::string_view) +
                                             hashes_.capacity() * sizeof(uint64_t));
}

}  // namespace sluice
