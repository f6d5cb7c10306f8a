// --bloom-filter: a split-block Bloom filter (ops/bloom/split_block_bloom_filter.h) for one output
// column chunk, built from its input chunks' decoded values, in the bytes Parquet stores
// (BloomFilter.md: a compact-protocol BloomFilterHeader, then the bitset).
//
// Values are hashed as the spec says, XXH64 of their plain encoding in the output column's
// physical type: 4 little-endian bytes for INT32 (narrower integers, dates and unsigned values
// widened as the output stores them), 8 for INT64 (timestamps too), the bytes for BYTE_ARRAY and
// FIXED_LEN_BYTE_ARRAY. Nulls are not inserted. BOOLEAN, FLOAT, DOUBLE, INT96, decimals and
// nested columns are NotSupported (a filter over them would rarely prune).
//
// Sizing: the chunk's distinct hashes are counted exactly (the hashes of its non-null values are
// held, 8 bytes each), the filter gets the fewest blocks for that many values at the target
// false-positive rate, rounded up to a power of two (some readers, arrow among them, expect one)
// and capped at kMaxBloomFilterBytes; at least one block (an all-null chunk).
//
// Thread safety: a pure function; `inputs`' sources must allow reads from the calling thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sluice/io/parquet/schema.h"
#include "sluice/jobs/compact/column_reencode.h"
#include "sluice/table/array.h"

namespace sluice::compact {

inline constexpr int64_t kMaxBloomFilterBytes = int64_t{16} << 20;

// NotSupported (naming the column) unless `column` can have a Bloom filter.
void CheckBloomFilterColumn(const parquet::ColumnDescriptor& column);

// The filter of the column chunk made of `inputs`, for `fpp` (0 < fpp < 1).
std::vector<uint8_t> BuildChunkBloomFilter(const parquet::ColumnDescriptor& column,
                                           std::span<const ReencodeInput> inputs, double fpp);

// Appends the hashes of `values`' non-null values (dictionary-encoded or not, already of the
// output column's type) as a column of physical type `physical` stores them.
void HashBloomValues(const Array& values, parquet::PhysicalType physical,
                     std::vector<uint64_t>& hashes);

// The filter (header and bitset) holding `hashes` (any order, duplicates allowed), sized as above.
std::vector<uint8_t> BloomFilterOfHashes(std::vector<uint64_t> hashes, double fpp);

// Bytes held while building the filter of a chunk of `rows` rows.
int64_t BloomFilterWorkBytes(int64_t rows);

}  // namespace sluice::compact
