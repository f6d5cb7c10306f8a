#include "sluice/io/parquet/dictionary_encoder.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "sluice/table/short_copy.h"

namespace sluice::parquet {
namespace {

inline uint64_t MixInteger(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// Slot capacity for about `expected` entries at half load.
size_t InitialCapacity(size_t expected) {
  size_t capacity = 64;
  while (capacity < expected * 2 && capacity < (size_t{1} << 26)) capacity *= 2;
  return capacity;
}

// Open addressing with linear probing; each slot holds what a probe compares (an integer value,
// or a byte value's hash tag) beside entry index + 1 (0 = empty), so a hit or a miss touches one
// cache line rather than the slot and then the entry. Doubles at half load.
template <typename Key>
class SlotTable {
 public:
  explicit SlotTable(size_t expected) : slots_(InitialCapacity(expected)) {
    mask_ = slots_.size() - 1;
  }
  // The entry whose key is `key` and which `equal` accepts, or inserts `next` (and sets
  // `inserted`). `position` picks the first slot tried.
  template <typename Equal>
  uint32_t FindOrInsert(uint64_t position, Key key, uint32_t next, Equal equal, bool* inserted) {
    size_t i = static_cast<size_t>(position) & mask_;
    while (true) {
      Slot& slot = slots_[i];
      if (slot.entry == 0) {
        slot = {key, next + 1};
        *inserted = true;
        return next;
      }
      if (slot.key == key && equal(slot.entry - 1)) {
        *inserted = false;
        return slot.entry - 1;
      }
      i = (i + 1) & mask_;
    }
  }
  // Call after each insert with the entry count and a function giving an entry's position.
  template <typename PositionOf>
  void MaybeGrow(size_t entries, PositionOf position_of) {
    if (entries * 2 <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.entry == 0) continue;
      size_t i = static_cast<size_t>(position_of(slot)) & mask_;
      while (slots_[i].entry != 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  struct Slot {
    Key key{};
    uint32_t entry = 0;
  };

 private:
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// Integers within a range not much wider than the chunk (a score, a key the rows are sorted by)
// index an array by value instead: one access to a table a few times smaller than the hash
// table, which for 100,000 distinct values no longer fits the cache.
template <typename T>
bool BuildDenseInteger(const T* in, int64_t n, T min, size_t range, int64_t max_entries,
                       std::vector<T>* entries, uint32_t* out) {
  std::vector<uint32_t> slots(range + 1, 0);  // entry index + 1, 0 = not seen
  for (int64_t i = 0; i < n; ++i) {
    uint32_t& slot = slots[static_cast<size_t>(in[i] - min)];
    if (slot == 0) {
      if (static_cast<int64_t>(entries->size()) >= max_entries) return false;
      entries->push_back(in[i]);
      slot = static_cast<uint32_t>(entries->size());
    }
    out[i] = slot - 1;
  }
  return true;
}

template <typename T>
bool BuildHashedInteger(const T* in, int64_t n, int64_t max_entries, std::vector<T>* entries,
                        uint32_t* out) {
  SlotTable<T> table(std::min<size_t>(static_cast<size_t>(n), 4096));
  auto always = [](uint32_t) { return true; };  // the slot's key is the value
  for (int64_t i = 0; i < n; ++i) {
    T v = in[i];
    bool inserted;
    uint32_t index = table.FindOrInsert(MixInteger(static_cast<uint64_t>(v)), v,
                                        static_cast<uint32_t>(entries->size()), always, &inserted);
    if (inserted) {
      if (static_cast<int64_t>(entries->size()) >= max_entries) return false;
      entries->push_back(v);
      table.MaybeGrow(entries->size(),
                      [](const auto& slot) { return MixInteger(static_cast<uint64_t>(slot.key)); });
    }
    out[i] = index;
  }
  return true;
}

// T is unsigned: the range is the same whatever the values' signedness.
template <typename T>
bool BuildFixedInteger(const PhysicalValues& values, int64_t size_limit,
                       std::vector<uint32_t>* indices, PhysicalValues* dictionary) {
  const int64_t n = values.size();
  const T* in = reinterpret_cast<const T*>(values.fixed.data());
  const int64_t max_entries = size_limit / static_cast<int64_t>(sizeof(T));
  if (n == 0) return true;
  T low = in[0];
  T high = in[0];
  for (int64_t i = 1; i < n; ++i) {  // no early exit, so it vectorizes
    low = std::min(low, in[i]);
    high = std::max(high, in[i]);
  }
  const T range = high - low;
  const T dense_limit = static_cast<T>(std::min<int64_t>(2 * n + 1024, int64_t{1} << 22));
  std::vector<T> entries;
  const bool built = range < dense_limit
                         ? BuildDenseInteger(in, n, low, static_cast<size_t>(range), max_entries,
                                             &entries, indices->data())
                         : BuildHashedInteger(in, n, max_entries, &entries, indices->data());
  if (!built) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(entries.data());
  dictionary->fixed.assign(bytes, bytes + entries.size() * sizeof(T));
  return true;
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// A 64-bit multiply folded to 64 bits (wyhash's mixing step).
uint64_t Fold(uint64_t a, uint64_t b) {
  const unsigned __int128 m = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

// A hash of a byte value one 8-byte word at a time (the last word overlapping), for the table
// only: it is not stored anywhere, and the byte comparison keeps the result exact whatever it
// collides on. Dictionary values are short (a URL is six words), where xxHash64's stripes and
// tail steps cost about twice as much.
uint64_t HashValue(const uint8_t* p, size_t n) {
  constexpr uint64_t k0 = 0xa0761d6478bd642fULL;
  constexpr uint64_t k1 = 0xe7037ed1a0b428dbULL;
  uint64_t h = k0 ^ n;
  if (n > 8) {
    for (size_t i = 0; i + 8 < n; i += 8) h = Fold(Load64(p + i) ^ k1, h ^ k0);
    h = Fold(Load64(p + n - 8) ^ k1, h ^ k0);
  } else if (n >= 4) {
    h = Fold((Load32(p) | Load32(p + n - 4) << 32) ^ k1, h ^ k0);
  } else if (n > 0) {
    const uint64_t w = p[0] | uint64_t{p[n / 2]} << 8 | uint64_t{p[n - 1]} << 16;
    h = Fold(w ^ k1, h ^ k0);
  }
  return Fold(h ^ k1, n ^ k0);
}

// Fixed widths other than 4 and 8 (INT96, FIXED_LEN_BYTE_ARRAY) and byte arrays. Entries are
// appended to `dictionary` as they are found, so equality checks read a compact buffer rather
// than the first occurrence somewhere in the chunk's values.
bool BuildBytes(const PhysicalValues& values, int64_t size_limit, std::vector<uint32_t>* indices,
                PhysicalValues* dictionary) {
  const int64_t n = values.size();
  const bool binary = values.width == 0;
  const auto width = static_cast<size_t>(values.width);
  auto entry_at = [&](uint32_t e) -> const uint8_t* {
    return binary ? dictionary->binary.data.data() + dictionary->binary.offsets[e]
                  : dictionary->fixed.data() + e * width;
  };
  auto entry_size = [&](uint32_t e) -> size_t {
    return binary ? static_cast<size_t>(dictionary->binary.offsets[e + 1] -
                                        dictionary->binary.offsets[e])
                  : width;
  };
  // The slot's key is the hash's low half; its high half picks the slot (kept for regrowing).
  std::vector<uint32_t> positions;
  SlotTable<uint32_t> table(std::min<size_t>(static_cast<size_t>(n), 4096));
  int64_t bytes = 0;
  uint32_t entries = 0;
  const int32_t* offsets = values.binary.offsets.data();
  const uint8_t* data = binary ? values.binary.data.data() : values.fixed.data();
  uint32_t* out = indices->data();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* v = binary ? data + offsets[i] : data + i * values.width;
    const size_t size = binary ? static_cast<size_t>(offsets[i + 1] - offsets[i]) : width;
    const uint64_t hash = HashValue(v, size);
    bool inserted;
    uint32_t index = table.FindOrInsert(
        hash >> 32, static_cast<uint32_t>(hash), entries,
        [&](uint32_t e) { return entry_size(e) == size && EqualShort(entry_at(e), v, size); },
        &inserted);
    if (inserted) {
      bytes += static_cast<int64_t>(size) + (binary ? 4 : 0);
      if (bytes > size_limit) return false;
      if (binary) {
        dictionary->binary.Append(v, size);
      } else {
        dictionary->fixed.insert(dictionary->fixed.end(), v, v + size);
      }
      positions.push_back(static_cast<uint32_t>(hash >> 32));
      ++entries;
      table.MaybeGrow(entries, [&](const auto& slot) { return positions[slot.entry - 1]; });
    }
    out[i] = index;
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
