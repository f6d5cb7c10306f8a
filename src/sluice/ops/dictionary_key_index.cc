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
  codes_.assign(static_cast<size_t>(rows), 0);
  uint32_t* codes = codes_.data();
  // Last column first, so code = i1 + n1 * (i2 + n2 * ...).
  for (size_t k = keys.size(); k-- > 0;) {
    const Array& key = *keys[k];
    const auto slots = static_cast<uint32_t>(key.dictionary()->length() + 1);
    const uint32_t null_slot = slots - 1;
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
  StartChunk(keys);
  Encode(keys);
  pending_.clear();
  const auto rows = static_cast<int64_t>(codes_.size());
  for (int64_t r = 0; r < rows; ++r) {
    const uint32_t code = codes_[static_cast<size_t>(r)];
    const uint32_t group = map_[code];
    if ((group & kPendingBit) == 0) {
      groups[static_cast<size_t>(r)] = group;
      continue;
    }
    groups[static_cast<size_t>(r)] = kPending;
    if (group == kUnknown) {
      map_[code] = kPendingBit | static_cast<uint32_t>(pending_.size());
      pending_.push_back(r);
    }
  }
  return pending_;
}

void DictionaryKeyIndex::Resolve(size_t pending, uint32_t group) {
  SLUICE_CHECK((group & kPendingBit) == 0);
  map_[codes_[static_cast<size_t>(pending_[pending])]] = group;
}

void DictionaryKeyIndex::Finish(std::span<uint32_t> groups) const {
  if (pending_.empty()) return;
  for (size_t r = pending_.front(); r < groups.size(); ++r) {
    if (groups[r] == kPending) groups[r] = map_[codes_[r]];
  }
}

}  // namespace sluice
