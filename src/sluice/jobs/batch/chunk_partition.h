// ChunkPartition: what one ledger partition of a batched job stands for: a chunk to compute and
// the cache key its output is stored under. Its ledger key is "chunk-NNNNN"; its definition is
// {"chunk": N, "key": cache key}, which resumed runs read back from the ledger.
//
// Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/ledger/ledger_records.h"

namespace sluice::batch {

// The stages of a submitted job (batch_join.h): a partition "chunk/NNNNN" per chunk to compute,
// then "publish/00000", whose definition is {}.
inline constexpr std::string_view kChunkStage = "chunk";
inline constexpr std::string_view kPublishStage = "publish";

struct ChunkPartition {
  int chunk = 0;
  std::string key;  // the chunk's cache key

  // "chunk-NNNNN".
  static std::string LedgerKey(int chunk);
  ledger::PartitionSpec ToSpec(int64_t max_attempts) const;
  std::string ToJson() const;
  // InvalidData when the definition is not a chunk's.
  static ChunkPartition FromJson(std::string_view json);
};

}  // namespace sluice::batch
