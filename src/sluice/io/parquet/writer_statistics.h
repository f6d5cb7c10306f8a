// Writer-side statistics: the min, max and null count of a run of a column's physical values
// (the whole chunk, its dictionary, or one page), compared in the column's sort order (see
// writer_schema.h): signed or unsigned integers, unsigned bytes (strings, binary), signed two's
// complement for big-endian decimals, floats without NaN. A zero float bound is written as -0.0
// for min and +0.0 for max (parquet-format's rule), so readers never exclude the other zero.
// Both the chunk statistics and the page index (page_index_builder.h) come from here, so they
// follow one set of rules.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/writer_schema.h"

namespace sluice::parquet {

// The physical bytes of value `i` (PLAIN layout without a length prefix).
std::string_view ValueBytes(const PhysicalValues& values, int64_t i);

// Negative, zero or positive as `a` sorts before, with or after `b` (both physical bytes of
// `column`'s type; floats compare numerically, so -0.0 equals +0.0 and NaN is unordered).
int CompareValues(const WriterColumn& column, std::string_view a, std::string_view b);

// Statistics of values [begin, end) with `null_count` nulls beside them; min_value/max_value
// are absent when the range holds no value other than NaN.
Statistics ComputeStatistics(const WriterColumn& column, const PhysicalValues& values,
                             int64_t begin, int64_t end, int64_t null_count);

// Whether a page of a dictionary-encoded chunk should have its statistics computed with
// ComputeDictionaryPageStatistics: for byte values (numbers compare as cheaply as a lookup)
// when the page holds at least as many values as the dictionary has entries.
bool StatisticsByDictionaryEntry(const WriterColumn& column, int64_t entries, int64_t values);

// ComputeStatistics for a page of a dictionary-encoded byte-array column whose values are
// dictionary[indices[i]]: each distinct entry the page uses is compared once rather than each
// value (120,000 URLs from 5,000 entries compare 5,000 strings). `seen` is the caller's scratch.
Statistics ComputeDictionaryPageStatistics(const WriterColumn& column,
                                           const PhysicalValues& dictionary,
                                           std::span<const uint32_t> indices, int64_t null_count,
                                           std::vector<uint8_t>* seen);

// NaNs among values [begin, end) of a FLOAT or DOUBLE column; 0 for other types.
int64_t CountNaN(const WriterColumn& column, const PhysicalValues& values, int64_t begin,
                 int64_t end);

}  // namespace sluice::parquet
