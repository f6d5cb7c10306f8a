#include "sluice/ops/group_table.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {
namespace {

constexpr size_t kInitialSlots = 1024;
constexpr size_t kBlockBytes = 256 * 1024;

uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

GroupTable::GroupTable() : slots_(kInitialSlots, Slot{0, 0}), mask_(kInitialSlots - 1) {}

std::string_view GroupTable::Store(std::string_view key) {
  if (static_cast<size_t>(block_end_ - block_next_) < key.size()) {
    const size_t size = std::max(kBlockBytes, key.size());
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    block_next_ = blocks_.back().get();
    block_end_ = block_next_ + size;
    arena_bytes_ += static_cast<int64_t>(size);
  }
  if (!key.empty()) std::memcpy(block_next_, key.data(), key.size());
  std::string_view stored(block_next_, key.size());
  block_next_ += key.size();
  return stored;
}

uint32_t GroupTable::FindOrInsert(uint64_t hash, std::string_view key) {
  const uint32_t tag = Tag(hash);
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.group == 0) {
      const size_t group = hashes_.size();
      if (group >= std::numeric_limits<uint32_t>::max() - 1) {
        throw InvalidArgument("more than 4 billion groups in one hash table partition")
            .With("hint", "use more shuffle partitions");
      }
      keys_.push_back(Store(key));
      hashes_.push_back(hash);
      slot = Slot{tag, static_cast<uint32_t>(group + 1)};
      // Grow at 50% load: linear probing stays short.
      if (2 * hashes_.size() > slots_.size()) Rehash(slots_.size() * 2);
      return static_cast<uint32_t>(group);
    }
    if (slot.tag == tag && key == keys_[slot.group - 1]) {
      return slot.group - 1;
    }
  }
}

void GroupTable::FindOrInsert(std::span<const uint64_t> hashes,
                              std::span<const std::string_view> keys, std::span<uint32_t> groups) {
  SLUICE_CHECK_EQ(hashes.size(), keys.size());
  SLUICE_CHECK_EQ(hashes.size(), groups.size());
  for (size_t r = 0; r < hashes.size(); ++r) groups[r] = FindOrInsert(hashes[r], keys[r]);
}

int64_t GroupTable::Find(uint64_t hash, std::string_view key) const {
  const uint32_t tag = Tag(hash);
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.group == 0) return -1;
    if (slot.tag == tag && key == keys_[slot.group - 1]) {
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
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{0, 0});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.group == 0) continue;
    uint64_t i = hashes_[s.group - 1] & mask_;
    while (slots_[i].group != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

int64_t GroupTable::ByteSize() const {
  return arena_bytes_ + static_cast<int64_t>(slots_.capacity() * sizeof(Slot) +
                                             keys_.capacity() * sizeof(std::string_view) +
                                             hashes_.capacity() * sizeof(uint64_t));
}

}  // namespace sluice
