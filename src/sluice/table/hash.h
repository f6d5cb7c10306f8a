// Row hashing: one 64-bit hash per row over one or more columns, for hash partitioning, group-by,
// join and Bloom filters. The hash is a pure function of the values (not of offsets, buffer
// layout, chunking or the machine), so it is stable across runs, processes and machines, and a
// row hashes to the same partition wherever it is computed. Changing the algorithm below changes
// where rows land: treat it as a file format.
//
// The algorithm, exactly:
//   value hash  v = XXH64(bytes, seed), where bytes are the value's little-endian storage bytes:
//     bool: 1 byte, 0x00 or 0x01;  intN/uintN, date32 (int32), timestamp (int64): N/8 bytes;
//     float32/float64: 4/8 bytes of the IEEE bits after mapping -0.0 to +0.0 and every NaN to
//       the canonical quiet NaN (0x7FC00000 / 0x7FF8000000000000), so equal values hash equal;
//     decimal128: 16 bytes, low half first;  fixed_size_binary: its width in bytes;
//     string, binary: the value's bytes (no length prefix, no terminator).
//     list, large_list, fixed_size_list, map of n elements: h = XXH64(le64(n), seed), then
//       h = XXH64(le64(h) || le64(v(element)), 0) for each element in order (a map's element
//       is its entry struct);
//     struct of k fields: h = XXH64(le64(k), seed), then folded with v(field) likewise.
//   a null's value hash is the constant kNullHash (for any seed and type).
//   row hash    h = v(column 0); then for each further column c in the order given:
//     h = XXH64(le64(h) || le64(v(c)), seed 0), i.e. XXH64 over the 16 bytes of the two hashes.
// So a single-column hash of a string equals XXH64 of its bytes, checkable with `xxhsum -H64`.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

inline constexpr uint64_t kNullHash = 0x9AE16A3B2F90404FULL;

// h = XXH64(le64(h) || le64(v), 0).
uint64_t CombineHashes(uint64_t h, uint64_t v);

// Writes the value hash of each row of `array` into out (out.size() == array.length()).
void HashArray(const Array& array, std::span<uint64_t> out, uint64_t seed = 0);
// Combines the value hashes of `array` into out, row by row.
void HashArrayCombine(const Array& array, std::span<uint64_t> out, uint64_t seed = 0);

// Row hashes over the given columns (at least one); InvalidArgument for a bad column index,
// NotFound naming an unknown column.
void HashRows(const RecordBatch& batch, std::span<const int> columns, std::span<uint64_t> out,
              uint64_t seed = 0);
std::vector<uint64_t> HashRows(const RecordBatch& batch, std::span<const int> columns,
                               uint64_t seed = 0);
std::vector<uint64_t> HashRows(const RecordBatch& batch, const std::vector<std::string>& columns,
                               uint64_t seed = 0);

}  // namespace sluice
