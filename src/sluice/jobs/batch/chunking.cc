#include "sluice/jobs/batch/chunking.h"

#include <fmt/format.h>

#include <set>

#include "sluice/base/error.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/table/hash.h"

namespace sluice::batch {

std::string ChunkingConfig::Describe() const {
  return fmt::format(
      "by {} into {} chunks ({})", fmt::join(by, ","), chunks,
      hash_version == kChunkHashVersion ? kChunkHashName : fmt::format("hash v{}", hash_version));
}

void CheckChunking(const ChunkingConfig& config) {
  if (config.by.empty()) throw InvalidArgument("a batched job needs grouping columns (--by)");
  std::set<std::string> seen;
  for (const std::string& c : config.by) {
    if (c.empty()) throw InvalidArgument("an empty grouping column name");
    if (!seen.insert(c).second) throw InvalidArgument("grouping column '{}' is given twice", c);
  }
  if (config.chunks < 1) throw InvalidArgument("chunks must be at least 1, not {}", config.chunks);
  if (config.hash_version != kChunkHashVersion) {
    throw NotSupported("chunk hash version {} (this build has {})", config.hash_version,
                       kChunkHashVersion);
  }
}

std::vector<std::vector<int>> ResolveGroupingColumns(
    const ChunkingConfig& config, const std::vector<std::string>& input_names,
    const std::vector<std::shared_ptr<const Schema>>& schemas) {
  std::vector<std::vector<int>> out(schemas.size());
  for (size_t i = 0; i < schemas.size(); ++i) {
    const Schema& schema = *schemas[i];
    for (const std::string& column : config.by) {
      std::optional<int> index = schema.FieldIndex(column);
      if (!index) {
        std::vector<std::string> names;
        for (const Field& f : schema.fields()) names.push_back(f.name);
        throw InvalidArgument("input '{}' has no grouping column '{}'; its columns are {}",
                              input_names[i], column, fmt::join(names, ", "))
            .With("input", input_names[i])
            .With("column", column);
      }
      CheckFlatKey(schema.field(*index), "the grouping column");
      out[i].push_back(*index);
    }
  }
  for (size_t i = 1; i < schemas.size(); ++i) {
    for (size_t c = 0; c < config.by.size(); ++c) {
      const DataType& first = schemas[0]->field(out[0][c]).type;
      const DataType& other = schemas[i]->field(out[i][c]).type;
      if (!(first == other)) {
        throw InvalidArgument(
            "grouping column '{}' is {} in input '{}' but {} in input '{}'; equal values of "
            "different types would land in different chunks (cast one input)",
            config.by[c], first.ToString(), input_names[0], other.ToString(), input_names[i])
            .With("column", config.by[c])
            .With("input", input_names[i]);
      }
    }
  }
  return out;
}

void AssignChunks(const RecordBatch& batch, std::span<const int> by_columns, int chunks,
                  std::vector<uint32_t>* out) {
  std::vector<uint64_t> hashes(static_cast<size_t>(batch.num_rows()));
  HashRows(batch, by_columns, hashes);
  out->resize(hashes.size());
  const uint64_t n = static_cast<uint64_t>(chunks);
  for (size_t r = 0; r < hashes.size(); ++r) (*out)[r] = static_cast<uint32_t>(hashes[r] % n);
}

}  // namespace sluice::batch
