#include "sluice/ops/dictionary_key_index.h"

#include <algorithm>
#include <bit>

#include "sluice/base/check.h"
#include "sluice/table/bitmap.h"

namespace sluice {
namespace {

constexpr uint32_t kUnknown = UINT32_MAX;
constexpr uint32_t kPendingBit = 0x80000000u;
constexpr uint32_t kNullId = 0;  // values' ids start at 1
// A map of at most 4 MiB: room for any set of dictionaries Serves admits, with ids from the
// row groups before.
constexpr int kMaxBits = 20;
// An id map entry's bytes beyond its value (node, bucket, string header).
constexpr int64_t kIdEntryBytes = 64;

int64_t ChunkCodes(std::span<const Array* const> keys) {
  int64_t codes = 1;
  for (const Array* key : keys) {
    if (!key->is_dictionary()) return -1;
    codes *= key->dictionary()->length() + 1;
    if (codes > (int64_t{1} << 30)) return -1;
  }
  return codes;
}

int BitsFor(int64_t ids) {
  return std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(ids - 1))));
}

std::string_view ValueBytes(const Array& dictionary, int64_t i, char& bit) {
  if (dictionary.type().layout() != Layout::kBitmap) return dictionary.BinaryValue(i);
  bit = dictionary.BoolValue(i) ? 1 : 0;
  return std::string_view(&bit, 1);
}

}  // namespace

bool DictionaryKeyIndex::Serves(std::span<const Array* const> keys) {
  // No more codes than a chunk's rows, so the rows that find their group through the table
  // stay at most the ones that would all along.
  constexpr int64_t kMaxCodes = int64_t{1} << 16;
  const int64_t codes = keys.empty() ? -1 : ChunkCodes(keys);
  return codes > 0 && codes <= kMaxCodes;
}

int64_t DictionaryKeyIndex::LookupBytes(std::span<const Array* const> keys) const {
  const int64_t rows = keys.empty() ? 0 : keys[0]->length();
  const bool same_columns = columns_.size() == keys.size();
  int64_t id_bytes = 0;
  int bits_kept = 0, bits_afresh = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (!keys[k]->is_dictionary()) return 0;
    const Array& d = *keys[k]->dictionary();
    const int64_t known = same_columns ? static_cast<int64_t>(columns_[k].ids.size()) : 0;
    bits_kept += std::max(same_columns ? columns_[k].bits : 0, BitsFor(known + d.length() + 1));
    bits_afresh += BitsFor(d.length() + 1);
    id_bytes += d.length() * kIdEntryBytes + (d.num_buffers() > 2 ? d.buffer(2)->size() : 0);
  }
  const int bits = bits_kept <= kMaxBits ? bits_kept : bits_afresh;
  // A remap holds the old map beside the new one.
  return (int64_t{1} << bits) * 4 + id_bytes + rows * (4 + 8);
}

int64_t DictionaryKeyIndex::ByteSize() const {
  int64_t bytes = static_cast<int64_t>((map_.capacity() + codes_.capacity()) * sizeof(uint32_t) +
                                       pending_.capacity() * sizeof(int64_t));
  for (const Column& c : columns_) {
    bytes += c.value_bytes + static_cast<int64_t>(c.ids.size()) * kIdEntryBytes +
             static_cast<int64_t>(c.translate.capacity() * sizeof(uint32_t));
  }
  return bytes;
}

void DictionaryKeyIndex::Reset(size_t columns) {
  columns_.assign(columns, Column{});
  map_.clear();
}

void DictionaryKeyIndex::Translate(Column& column, std::shared_ptr<const Array> dictionary) {
  const int64_t n = dictionary->length();
  column.translate.resize(static_cast<size_t>(n) + 1);
  char bit = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t id = kNullId;
    if (dictionary->IsValid(i)) {
      const std::string_view value = ValueBytes(*dictionary, i, bit);
      auto [it, added] =
          column.ids.try_emplace(std::string(value), static_cast<uint32_t>(column.ids.size() + 1));
      if (added) column.value_bytes += static_cast<int64_t>(value.size());
      id = it->second;
    }
    column.translate[static_cast<size_t>(i)] = id;
  }
  column.translate[static_cast<size_t>(n)] = kNullId;
  column.dictionary = std::move(dictionary);
}

int DictionaryKeyIndex::total_bits() const {
  int bits = 0;
  for (const Column& c : columns_) bits += c.bits;
  return bits;
}

bool DictionaryKeyIndex::Translate(std::span<const Array* const> keys) {
  std::vector<int> old_bits;
  for (const Column& c : columns_) old_bits.push_back(c.bits);
  bool grew = false;
  for (size_t k = 0; k < keys.size(); ++k) {
    Column& column = columns_[k];
    if (column.dictionary == keys[k]->dictionary()) continue;
    Translate(column, keys[k]->dictionary());
    const int bits = BitsFor(static_cast<int64_t>(column.ids.size()) + 1);
    if (bits > column.bits) {
      column.bits = bits;
      grew = true;
    }
  }
  if (total_bits() > kMaxBits) return false;
  if (grew) Remap(old_bits);
  return true;
}

// Moves the groups found so far to the codes of the wider bit fields.
void DictionaryKeyIndex::Remap(const std::vector<int>& old_bits) {
  std::vector<uint32_t> map(size_t{1} << total_bits(), kUnknown);
  for (size_t code = 0; code < map_.size(); ++code) {
    if (map_[code] == kUnknown) continue;
    size_t moved = 0;
    int old_shift = 0, shift = 0;
    for (size_t k = 0; k < columns_.size(); ++k) {
      const size_t id = (code >> old_shift) & ((size_t{1} << old_bits[k]) - 1);
      moved |= id << shift;
      old_shift += old_bits[k];
      shift += columns_[k].bits;
    }
    map[moved] = map_[code];
  }
  map_ = std::move(map);
}

void DictionaryKeyIndex::Encode(std::span<const Array* const> keys) {
  const int64_t rows = keys[0]->length();
  codes_.resize(static_cast<size_t>(rows));
  uint32_t* codes = codes_.data();
  int shift = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    const Array& key = *keys[k];
    const uint32_t* translate = columns_[k].translate.data();
    const auto null_index = static_cast<size_t>(key.dictionary()->length());
    const int32_t* indices = key.raw_indices() + key.offset();
    const uint32_t keep = k == 0 ? 0 : UINT32_MAX;  // the first column sets the codes
    if (key.null_count() == 0) {
      for (int64_t r = 0; r < rows; ++r) {
        codes[r] = (codes[r] & keep) | translate[static_cast<uint32_t>(indices[r])] << shift;
      }
    } else {
      const uint8_t* valid = key.validity();
      const int64_t offset = key.offset();
      for (int64_t r = 0; r < rows; ++r) {
        const size_t index =
            GetBit(valid, offset + r) ? static_cast<uint32_t>(indices[r]) : null_index;
        codes[r] = (codes[r] & keep) | translate[index] << shift;
      }
    }
    shift += columns_[k].bits;
  }
}

std::span<const int64_t> DictionaryKeyIndex::Lookup(std::span<const Array* const> keys,
                                                    std::span<uint32_t> groups) {
  // A lookup whose pending codes were not all resolved (the caller failed in between) leaves
  // markers in the map that are not groups.
  if (unfinished_ || columns_.size() != keys.size()) Reset(keys.size());
  if (!Translate(keys)) {
    Reset(keys.size());
    SLUICE_CHECK(Translate(keys));
  }
  Encode(keys);
  pending_.clear();
  unfinished_ = false;
  const size_t rows = codes_.size();
  // Mostly every code has its group: a plain gather, then a pass for the others if any.
  uint32_t unresolved = 0;
  for (size_t r = 0; r < rows; ++r) {
    groups[r] = map_[codes_[r]];
    unresolved |= groups[r];
  }
  if ((unresolved & kPendingBit) == 0) return pending_;
  for (size_t r = 0; r < rows; ++r) {
    if ((groups[r] & kPendingBit) == 0) continue;
    // Read again: an earlier row of the same code may have made it pending.
    const uint32_t group = map_[codes_[r]];
    groups[r] = kPending;
    if (group == kUnknown) {
      map_[codes_[r]] = kPendingBit | static_cast<uint32_t>(pending_.size());
      pending_.push_back(static_cast<int64_t>(r));
    }
  }
  unfinished_ = !pending_.empty();
  return pending_;
}

void DictionaryKeyIndex::Resolve(size_t pending, uint32_t group) {
  SLUICE_CHECK((group & kPendingBit) == 0);
  map_[codes_[static_cast<size_t>(pending_[pending])]] = group;
}

void DictionaryKeyIndex::Finish(std::span<uint32_t> groups) {
  unfinished_ = false;
  if (pending_.empty()) return;
  for (size_t r = pending_.front(); r < groups.size(); ++r) {
    if (groups[r] == kPending) groups[r] = map_[codes_[r]];
  }
}

}  // namespace sluice
