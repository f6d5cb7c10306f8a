// SortKeyEncoder: turns the sort-key columns of each row into one byte string whose memcmp order
// is the sort order (a normalized key), so rows of any key types are ordered, merged and compared
// across runs with one memcmp, and a spilled run carries its keys instead of re-deriving them.
//
// Layout, key column after key column:
//   a flag byte: 0x00 valid, 0x01 null (nulls last whatever the direction); then for a valid
//   value (a null writes zeros for fixed-width types and nothing for strings):
//   bool: one byte; signed ints, dates, timestamps: big-endian with the sign bit flipped;
//   unsigned ints: big-endian; floats: -0.0 as +0.0, every NaN as one NaN above +inf, then the
//   IEEE bits with all bits flipped when negative and the sign bit flipped otherwise,
//   big-endian; decimal128: 16 bytes big-endian with the sign bit flipped; fixed_size_binary:
//   its bytes; string and binary: the bytes with 0x00 escaped as 0x00 0x01, ended by 0x00 0x00
//   (prefix-free, so "a" < "a\0" < "ab"). A descending column has its value bytes inverted.
// With a position, 8 bytes big-endian of the row's stream position end the key: equal sort keys
// keep stream order (a stable sort), and every key is unique.
//
// Keys live in memory and in spill files of one run only; the layout may change freely.
//
// Thread safety: an encoder is immutable after construction; Encode may run on many threads.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sluice/ops/sort/sort_key.h"
#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// memcmp order of two keys (then the shorter first), eight bytes at a time: keys are short, and
// a library memcmp call per comparison costs more than the compare.
inline int CompareSortKeys(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; i < n; ++i) {
    const uint8_t x = static_cast<uint8_t>(a[i]);
    const uint8_t y = static_cast<uint8_t>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// Key bytes [from, from + 8) as a big-endian number, zero-padded past the key's end: ordering
// keys by it, then by what follows, is their memcmp order.
inline uint64_t SortKeyPrefix(std::string_view key, size_t from = 0) {
  from = std::min(from, key.size());
  uint64_t word = 0;
  std::memcpy(&word, key.data() + from, std::min<size_t>(key.size() - from, 8));
  return __builtin_bswap64(word);
}

// How many leading bytes two keys share, compared eight at a time.
inline size_t SharedKeyBytes(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i + 8 <= n && std::memcmp(a.data() + i, b.data() + i, 8) == 0) i += 8;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// The keys of one keyed batch (its last column), read in place.
struct SortKeyColumn {
  const int32_t* offsets = nullptr;
  const uint8_t* data = nullptr;

  SortKeyColumn() = default;
  explicit SortKeyColumn(const Array& keys)
      : offsets(keys.raw_offsets() + keys.offset()), data(keys.raw_data()) {}
  std::string_view key(int64_t row) const {
    return std::string_view(reinterpret_cast<const char*>(data) + offsets[row],
                            static_cast<size_t>(offsets[row + 1] - offsets[row]));
  }
};

// The order-preserving unsigned image of one number (the value bytes of its key, before a
// descending inversion): -0.0 as +0.0, every NaN as one NaN above +inf; signed ints with the sign
// bit flipped. Top-N's one-column fast path ranks with it, so both orders agree.
template <typename T>
auto NormalizeSortValue(T value) {
  if constexpr (std::is_floating_point_v<T>) {
    using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    if (std::isnan(value)) value = std::numeric_limits<T>::quiet_NaN();
    if (value == 0) value = 0;  // -0.0 -> +0.0
    U bits = std::bit_cast<U>(value);
    constexpr U kSign = U{1} << (sizeof(U) * 8 - 1);
    return (bits & kSign) ? static_cast<U>(~bits) : static_cast<U>(bits ^ kSign);
  } else if constexpr (std::is_signed_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<U>(static_cast<U>(value) ^ (U{1} << (sizeof(U) * 8 - 1)));
  } else {
    return value;
  }
}

class SortKeyEncoder {
 public:
  // columns: indices into the batches Encode will see; descending: one flag per column.
  SortKeyEncoder(const Schema& schema, std::vector<int> columns, std::vector<bool> descending);
  SortKeyEncoder(const Schema& schema, const std::vector<SortKey>& keys);

  // A binary column holding the normalized key of each row of `batch`; with with_positions, row
  // r ends with first_position + r.
  Array Encode(const RecordBatch& batch, bool with_positions, int64_t first_position = 0) const;

  // An upper bound of the memory Encode takes for `batch`, its working space included (row
  // starts, offsets, and key bytes with every string byte escaped), so a caller can reserve it
  // in its budget before encoding.
  int64_t MaxEncodedBytes(const RecordBatch& batch, bool with_positions) const;

  // The key bytes of every non-null row have this length (-1: variable, a string key column).
  int fixed_length(bool with_positions) const {
    return fixed_length_ < 0 ? -1 : fixed_length_ + (with_positions ? 8 : 0);
  }
  const std::vector<int>& columns() const { return columns_; }

 private:
  std::vector<int> columns_;
  std::vector<bool> descending_;
  std::vector<DataType> types_;
  int fixed_length_ = 0;
};

}  // namespace sluice
