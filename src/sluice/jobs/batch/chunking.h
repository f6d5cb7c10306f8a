// Chunking: which chunk a row belongs to. Every input of a batched job is split the same way, so
// rows that share grouping values meet in one chunk whatever input they come from.
//
// Hash version 1 ("xxh64-rows-v1"), exactly: chunk = HashRows(batch, by, seed 0) mod N, where
// HashRows is table/hash.h's row hash over the grouping columns in the order given (XXH64 per
// value, nulls as kNullHash, columns folded left). It is stable across runs and machines; a change
// to it must bump kChunkHashVersion, which is part of every cache key, so old chunks are never
// reused under a different split.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/table/record_batch.h"

namespace sluice::batch {

inline constexpr int kChunkHashVersion = 1;
inline constexpr const char* kChunkHashName = "xxh64-rows-v1";

struct ChunkingConfig {
  std::vector<std::string> by;
  int chunks = 64;
  int hash_version = kChunkHashVersion;

  // "by customer_id into 64 chunks (xxh64-rows-v1)".
  std::string Describe() const;
  bool operator==(const ChunkingConfig&) const = default;
};

// InvalidArgument for no grouping columns, a repeated one, or chunks < 1.
void CheckChunking(const ChunkingConfig& config);

// The grouping columns' indices in each input's schema. InvalidArgument naming the input and the
// column (and the columns it has) when one is missing; naming both inputs and their types when a
// grouping column's type differs between inputs (equal values of different types would hash
// differently and miss each other).
std::vector<std::vector<int>> ResolveGroupingColumns(
    const ChunkingConfig& config, const std::vector<std::string>& input_names,
    const std::vector<std::shared_ptr<const Schema>>& schemas);

// The chunk of every row of `batch`, into out (resized).
void AssignChunks(const RecordBatch& batch, std::span<const int> by_columns, int chunks,
                  std::vector<uint32_t>* out);

}  // namespace sluice::batch
