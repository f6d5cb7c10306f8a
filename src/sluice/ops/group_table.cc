#include "sluice/ops/group_table.h"

#include <cstring>
#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {
namespace {

constexpr size_t kInitialSlots = 1024;

uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

GroupTable::GroupTable() : slots_(kInitialSlots, Slot{0, 0}), mask_(kInitialSlots - 1) {
  offsets_.push_back(0);
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
      arena_.insert(arena_.end(), key.begin(), key.end());
      offsets_.push_back(arena_.size());
      hashes_.push_back(hash);
      slot = Slot{tag, static_cast<uint32_t>(group + 1)};
      // Grow at 50% load: linear probing stays short.
      if (2 * hashes_.size() > slots_.size()) Grow();
      return static_cast<uint32_t>(group);
    }
    if (slot.tag == tag && hashes_[slot.group - 1] == hash && key == this->key(slot.group - 1)) {
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
    if (slot.tag == tag && hashes_[slot.group - 1] == hash && key == this->key(slot.group - 1)) {
      return slot.group - 1;
    }
  }
}

void GroupTable::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{0, 0});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.group == 0) continue;
    uint64_t i = hashes_[s.group - 1] & mask_;
    while (slots_[i].group != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

std::vector<std::string_view> GroupTable::keys() const {
  std::vector<std::string_view> out;
  out.reserve(hashes_.size());
  for (int64_t g = 0; g < num_groups(); ++g) out.push_back(key(g));
  return out;
}

int64_t GroupTable::ByteSize() const {
  return static_cast<int64_t>(slots_.capacity() * sizeof(Slot) + arena_.capacity() +
                              offsets_.capacity() * sizeof(uint64_t) +
                              hashes_.capacity() * sizeof(uint64_t));
}

}  // namespace sluice
