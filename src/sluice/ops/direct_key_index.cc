#include "sluice/ops/direct_key_index.h"

#include <algorithm>
#include <limits>

#include "sluice/base/check.h"

namespace sluice {
namespace {

bool IsIntegerKey(const DataType& type) {
  switch (type.id()) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64:
    case TypeId::kDate32:
    case TypeId::kTimestamp:
      return true;
    default:
      return false;
  }
}

// Calls f(row, value) for each valid row of an integer column, the value widened to int64 (a
// uint64 above int64's range is skipped: it can only miss).
template <typename F>
void ForEachValue(const Array& a, F&& f) {
  auto loop = [&]<typename T>(T) {
    const T* values = reinterpret_cast<const T*>(a.raw_values()) + a.offset();
    const int64_t n = a.length();
    const bool nullable = a.null_count() != 0;
    for (int64_t r = 0; r < n; ++r) {
      if (nullable && a.IsNull(r)) continue;
      if constexpr (std::is_same_v<T, uint64_t>) {
        if (values[r] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) continue;
      }
      f(r, static_cast<int64_t>(values[r]));
    }
  };
  switch (a.type().id()) {
    case TypeId::kInt8:
      return loop(int8_t{});
    case TypeId::kInt16:
      return loop(int16_t{});
    case TypeId::kInt32:
    case TypeId::kDate32:
      return loop(int32_t{});
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return loop(int64_t{});
    case TypeId::kUInt8:
      return loop(uint8_t{});
    case TypeId::kUInt16:
      return loop(uint16_t{});
    case TypeId::kUInt32:
      return loop(uint32_t{});
    case TypeId::kUInt64:
      return loop(uint64_t{});
    default:
      SLUICE_CHECK(false && "not an integer key");
  }
}

}  // namespace

DirectKeyIndex::DirectKeyIndex(std::span<const DataType> types)
    : types_(types.begin(), types.end()) {
  sized_ = types_.empty() || !std::all_of(types_.begin(), types_.end(), IsIntegerKey);
}

int64_t DirectKeyIndex::Ranges(std::span<const Array* const> keys, std::vector<Range>* ranges) {
  int64_t slots = 1;
  for (const Array* a : keys) {
    int64_t lo = std::numeric_limits<int64_t>::max();
    int64_t hi = std::numeric_limits<int64_t>::min();
    ForEachValue(*a, [&](int64_t, int64_t v) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    });
    if (lo > hi) return 0;  // no valid value to size from
    // A span that overflows, or slots past the cap, leave the index off.
    int64_t span = 0;
    if (__builtin_sub_overflow(hi, lo, &span) || span >= kMaxSlots) return 0;
    span += 1;
    if (ranges != nullptr) ranges->push_back(Range{lo, span, slots});
    if (__builtin_mul_overflow(slots, span, &slots) || slots > kMaxSlots) return 0;
  }
  return slots;
}

void DirectKeyIndex::Size(std::span<const Array* const> keys) {
  sized_ = true;
  const int64_t slots = Ranges(keys, &ranges_);
  if (slots == 0) return;
  map_.assign(static_cast<size_t>(slots), 0);
  enabled_ = true;
}

int64_t DirectKeyIndex::LookupBytes(std::span<const Array* const> keys) const {
  const int64_t rows = keys.empty() ? 0 : keys[0]->length();
  if (sized_) return enabled_ ? rows * static_cast<int64_t>(sizeof(int64_t)) : 0;
  const int64_t slots = Ranges(keys, nullptr);
  if (slots == 0) return 0;
  return slots * static_cast<int64_t>(sizeof(uint32_t)) +
         rows * static_cast<int64_t>(sizeof(int64_t));
}

int64_t DirectKeyIndex::Lookup(std::span<const Array* const> keys, std::span<uint32_t> groups) {
  SLUICE_CHECK_EQ(keys.size(), types_.size());
  if (!sized_) Size(keys);
  const size_t rows = groups.size();
  if (!enabled_) {
    std::fill(groups.begin(), groups.end(), kMiss);
    return static_cast<int64_t>(rows);
  }
  // Each column adds its part of a row's slot; a null or out-of-range value poisons the row with
  // a negative that the other columns' parts (each below kMaxSlots) cannot lift.
  constexpr int64_t kPoison = std::numeric_limits<int64_t>::min() / 2;
  row_slots_.assign(rows, 0);
  for (size_t c = 0; c < keys.size(); ++c) {
    const Array& a = *keys[c];
    if (a.null_count() != 0) {
      for (size_t r = 0; r < rows; ++r) {
        if (a.IsNull(static_cast<int64_t>(r))) row_slots_[r] = kPoison;
      }
    }
    const Range range = ranges_[c];
    ForEachValue(a, [&](int64_t r, int64_t v) {
      const uint64_t offset = static_cast<uint64_t>(v) - static_cast<uint64_t>(range.min);
      int64_t& slot = row_slots_[static_cast<size_t>(r)];
      slot = offset < static_cast<uint64_t>(range.span)
                 ? slot + static_cast<int64_t>(offset) * range.stride
                 : kPoison;
    });
  }
  int64_t misses = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (row_slots_[r] < 0) {
      row_slots_[r] = -1;
      groups[r] = kMiss;
      ++misses;
      continue;
    }
    const uint32_t g = map_[static_cast<size_t>(row_slots_[r])];
    groups[r] = g - 1;  // kMiss when 0
    misses += g == 0;
  }
  return misses;
}

}  // namespace sluice
