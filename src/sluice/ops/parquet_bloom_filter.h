// A Parquet column chunk's Bloom filter (BloomFilter.md: a BloomFilterHeader, then the split-block
// bitset), read on demand, asked whether a value may be in the chunk. Values are hashed as the
// spec says, XXH64 of their plain encoding: 4 or 8 little-endian bytes for INT32 and INT64
// columns (narrow sluice integers, dates and timestamps as their physical type), the bytes alone
// for BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.
//
// Thread safety: ReadParquetBloomFilter only reads its source (which allows concurrent reads).
#pragma once

#include <cstdint>
#include <optional>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/ops/bloom/split_block_bloom_filter.h"
#include "sluice/ops/predicate.h"

namespace sluice {

// The chunk's filter; nullopt when it has none or it cannot be read as one (an unknown algorithm,
// a size out of bounds): a missing filter proves nothing, so errors are not raised.
std::optional<SplitBlockBloomFilter> ReadParquetBloomFilter(parquet::RandomAccessSource& source,
                                                            const parquet::ColumnMetaData& column);

// The hash of a domain value (predicate.h) stored in a column of this physical type; nullopt
// when the type has no plain encoding here (booleans, floats, INT96).
std::optional<uint64_t> ParquetBloomHash(const ColumnStatistics::Value& value,
                                         parquet::PhysicalType physical);

}  // namespace sluice
