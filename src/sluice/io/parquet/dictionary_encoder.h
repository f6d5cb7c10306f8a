// BuildDictionary: dictionary encoding of one column chunk's values for the writer. Each value
// gets the index of its first occurrence in the dictionary; the dictionary holds the distinct
// values in that order.
//
// An open-addressing hash table keyed by the values (integers hashed by multiplication and kept
// in the slots, other values by a word-at-a-time multiply hash) keeps this cheap enough to try on
// every column: a column that does not fit gives up as soon as the dictionary's PLAIN size passes
// the limit.
//
// Thread safety: pure function over caller-owned values.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/io/parquet/page_value_decoder.h"

namespace sluice::parquet {

// Fills `indices` (one per value) and `dictionary` (same width as `values`); false when the
// dictionary's PLAIN size would pass `size_limit` bytes (then both are unspecified).
bool BuildDictionary(const PhysicalValues& values, int64_t size_limit,
                     std::vector<uint32_t>* indices, PhysicalValues* dictionary);

}  // namespace sluice::parquet
