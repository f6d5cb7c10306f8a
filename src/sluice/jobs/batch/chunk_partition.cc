#include "sluice/jobs/batch/chunk_partition.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/jobs/partition_definition.h"

namespace sluice::batch {

std::string ChunkPartition::LedgerKey(int chunk) { return fmt::format("chunk-{:05d}", chunk); }

ledger::PartitionSpec ChunkPartition::ToSpec(int64_t max_attempts) const {
  return {LedgerKey(chunk), ToJson(), max_attempts};
}

std::string ChunkPartition::ToJson() const {
  return nlohmann::json{{"chunk", chunk}, {"key", key}}.dump();
}

ChunkPartition ChunkPartition::FromJson(std::string_view json) {
  return jobs::ReadDefinition(json, "a batched job's chunk partition", [](const nlohmann::json& j) {
    return ChunkPartition{j.at("chunk").get<int>(), j.at("key").get<std::string>()};
  });
}

}  // namespace sluice::batch
