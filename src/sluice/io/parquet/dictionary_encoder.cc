#include "sluice/io/parquet/dictionary_encoder.h"

#include <cstring>
#include <string_view>

#include "sluice/table/short_copy.h"
#include "sluice/table/xxhash64.h"

namespace sluice::parquet {
namespace {

// Slots hold entry index + 1 (0 = empty); the table doubles at half load.
class SlotTable {
 public:
  explicit SlotTable(size_t expected) {
    size_t capacity = 64;
    while (capacity < expected * 2 && capacity < (size_t{1} << 26)) capacity *= 2;
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
  }
  // The entry for `hash` accepted by `equal`, or inserts `next` (returns it with inserted set).
  template <typename Equal>
  uint32_t FindOrInsert(uint64_t hash, uint32_t next, Equal equal, bool* inserted) {
    size_t i = static_cast<size_t>(hash) & mask_;
    while (true) {
      uint32_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = next + 1;
        *inserted = true;
        return next;
      }
      if (equal(slot - 1)) {
        *inserted = false;
        return slot - 1;
      }
      i = (i + 1) & mask_;
    }
  }
  // Call after each insert with the entry count and a function giving an entry's hash.
  template <typename HashOf>
  void MaybeGrow(size_t entries, HashOf hash_of) {
    if (entries * 2 <= slots_.size()) return;
    std::vector<uint32_t> old = std::move(slots_);
    slots_.assign(old.size() * 2, 0);
    mask_ = slots_.size() - 1;
    for (uint32_t slot : old) {
      if (slot == 0) continue;
      size_t i = static_cast<size_t>(hash_of(slot - 1)) & mask_;
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

 private:
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

inline uint64_t MixInteger(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

template <typename T>
bool BuildFixedInteger(const PhysicalValues& values, int64_t size_limit,
                       std::vector<uint32_t>* indices, PhysicalValues* dictionary) {
  const int64_t n = values.size();
  const T* in = reinterpret_cast<const T*>(values.fixed.data());
  std::vector<T> entries;
  SlotTable table(std::min<size_t>(static_cast<size_t>(n), 4096));
  const int64_t max_entries = size_limit / static_cast<int64_t>(sizeof(T));
  uint32_t* out = indices->data();
  for (int64_t i = 0; i < n; ++i) {
    T v = in[i];
    bool inserted;
    uint32_t index = table.FindOrInsert(
        MixInteger(static_cast<uint64_t>(v)), static_cast<uint32_t>(entries.size()),
        [&](uint32_t e) { return entries[e] == v; }, &inserted);
    if (inserted) {
      if (static_cast<int64_t>(entries.size()) >= max_entries) return false;
      entries.push_back(v);
      table.MaybeGrow(entries.size(),
                      [&](uint32_t e) { return MixInteger(static_cast<uint64_t>(entries[e])); });
    }
    out[i] = index;
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(entries.data());
  dictionary->fixed.assign(bytes, bytes + entries.size() * sizeof(T));
  return true;
}

// Fixed widths other than 4 and 8 (INT96, FIXED_LEN_BYTE_ARRAY) and byte arrays.
bool BuildBytes(const PhysicalValues& values, int64_t size_limit, std::vector<uint32_t>* indices,
                PhysicalValues* dictionary) {
  const int64_t n = values.size();
  const bool binary = values.width == 0;
  auto value_at = [&](int64_t i) -> std::string_view {
    if (binary) return values.binary[static_cast<size_t>(i)];
    return {reinterpret_cast<const char*>(values.fixed.data()) + i * values.width,
            static_cast<size_t>(values.width)};
  };
  std::vector<uint32_t> first;  // the value each entry was first seen at
  std::vector<uint64_t> hashes;
  SlotTable table(std::min<size_t>(static_cast<size_t>(n), 4096));
  int64_t bytes = 0;
  uint32_t* out = indices->data();
  for (int64_t i = 0; i < n; ++i) {
    std::string_view v = value_at(i);
    uint64_t hash = XxHash64(v.data(), v.size(), 0);
    bool inserted;
    uint32_t index = table.FindOrInsert(
        hash, static_cast<uint32_t>(first.size()),
        [&](uint32_t e) {
          if (hashes[e] != hash) return false;
          const std::string_view entry = value_at(first[e]);
          return entry.size() == v.size() && EqualShort(entry.data(), v.data(), v.size());
        },
        &inserted);
    if (inserted) {
      bytes += static_cast<int64_t>(v.size()) + (binary ? 4 : 0);
      if (bytes > size_limit) return false;
      first.push_back(static_cast<uint32_t>(i));
      hashes.push_back(hash);
      table.MaybeGrow(first.size(), [&](uint32_t e) { return hashes[e]; });
    }
    out[i] = index;
  }
  if (binary) {
    dictionary->binary.data.reserve(static_cast<size_t>(bytes));
    dictionary->binary.offsets.reserve(first.size() + 1);
    for (uint32_t i : first) dictionary->binary.Append(value_at(i));
  } else {
    dictionary->fixed.reserve(first.size() * static_cast<size_t>(values.width));
    for (uint32_t i : first) {
      std::string_view v = value_at(i);
      dictionary->fixed.insert(dictionary->fixed.end(), v.begin(), v.end());
    }
  }
  return true;
}

}  // namespace

bool BuildDictionary(const PhysicalValues& values, int64_t size_limit,
                     std::vector<uint32_t>* indices, PhysicalValues* dictionary) {
  dictionary->width = values.width;
  dictionary->Clear();
  indices->resize(static_cast<size_t>(values.size()));
  switch (values.width) {
    case 4:
      return BuildFixedInteger<uint32_t>(values, size_limit, indices, dictionary);
    case 8:
      return BuildFixedInteger<uint64_t>(values, size_limit, indices, dictionary);
    default:
      return BuildBytes(values, size_limit, indices, dictionary);
  }
}

}  // namespace sluice::parquet
