#include "sluice/ops/dictionary_key_index.h"

#include <algorithm>

#include "sluice/base/check.h"

namespace sluice {
namespace {

constexpr uint32_t kUnknown = UINT32_MAX;
constexpr uint32_t kPendingBit = 0x80000000u;

}  // namespace

int64_t DictionaryKeyIndex::Codes(std::span<const Array* const> keys) {
  int64_t codes = 1;
  for (const Array* key : keys) {
    if (!key->is_dictionary()) return -1;
    codes *= key->dictionary()->length() + 1;
    if (codes > (int64_t{1} << 30)) return -1;
  }
  return codes;
}

bool DictionaryKeyIndex::Serves(std::span<const Array* const> keys) {
  // A map of at most 256 KiB per chunk: no more codes than a chunk's rows, so the rows that
  // find their group through the table stay at most the ones that would all along.
  constexpr int64_t kMaxCodes = int64_t{1} << 16;
  const int64_t codes = keys.empty() ? -1 : Codes(keys);
  return codes > 0 && codes <= kMaxCodes;
}

int64_t DictionaryKeyIndex::LookupBytes(std::span<const Array* const> keys) const {
  const int64_t rows = keys.empty() ? 0 : keys[0]->length();
  return std::max<int64_t>(0, Codes(keys)) * 4 + rows * (4 + 8);
}

void DictionaryKeyIndex::StartChunk(std::span<const Array* const> keys) {
  bool same = dictionaries_.size() == keys.size();
  for (size_t k = 0; same && k < keys.size(); ++k) {
    same = dictionaries_[k] == keys[k]->dictionary();
  }
  if (same) return;
  dictionaries_.clear();
  for (const Array* key : keys) dictionaries_.push_back(key->dictionary());
  map_.assign(static_cast<size_t>(Codes(keys)), kUnknown);
}

void DictionaryKeyIndex::Encode(std::span<const Array* const> keys) {
  const int64_t rows = keys[0]->length();
  codes_.resize(static_cast<size_t>(rows));
  uint32_t* codes = codes_.data();
  // Last column first, so code = i1 + n1 * (i2 + n2 * ...); the first one sets the codes.
  for (size_t k = keys.size(); k-- > 0;) {
    const Array& key = *keys[k];
    const bool first = k + 1 == keys.size();
    const auto slots = first ? 0 : static_cast<uint32_t>(key.dictionary()->length() + 1);
    const auto null_slot = static_cast<uint32_t>(key.dictionary()->length());
    const int32_t* indices = key.raw_indices() + key.offset();
    if (key.null_count() == 0) {
      for (int64_t r = 0; r < rows; ++r) {
        codes[r] = codes[r] * slots + static_cast<uint32_t>(indices[r]);
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        const uint32_t index = key.IsValid(r) ? static_cast<uint32_t>(indices[r]) : null_slot;
        codes[r] = codes[r] * slots + index;
      }
    }
  }
}

std::span<const int64_t> DictionaryKeyIndex::Lookup(std::span<const Array* const> keys,
                                                    std::span<uint32_t> groups) {
  // A lookup whose pending codes were not all resolved (the caller failed in between) leaves
  // markers in the map that are not groups.
  if (unfinished_) dictionaries_.clear();
  StartChunk(keys);
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
