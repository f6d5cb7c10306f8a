// Gathers for join output: a join emits rows as pairs of row indices into its two sides, where
// -1 stands for "no row" (the null-filled side of an outer join's unmatched row).
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <span>

#include "sluice/table/array.h"

namespace sluice {

// The values at `indices`, with a null wherever the index is -1. `array` may be empty when every
// index is -1.
Array TakeOrNull(const Array& array, std::span<const int64_t> indices);

// Row i is left[left_indices[i]] when that index is not -1 and the value is valid, else
// right[right_indices[i]] (or null): COALESCE of a key pair. Both arrays have one type.
Array CoalesceTake(const Array& left, std::span<const int64_t> left_indices, const Array& right,
                   std::span<const int64_t> right_indices);

}  // namespace sluice
