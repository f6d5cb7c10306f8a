#include "sluice/jobs/batch/batched_task.h"

#include "sluice/base/error.h"

namespace sluice {

ChunkTable::ChunkTable(std::vector<RecordBatch> batches) : batches(std::move(batches)) {
  if (!this->batches.empty()) schema = this->batches.front().shared_schema();
}

ChunkTable::ChunkTable(std::shared_ptr<const Schema> schema, std::vector<RecordBatch> batches)
    : schema(std::move(schema)), batches(std::move(batches)) {}

int64_t ChunkTable::num_rows() const {
  int64_t rows = 0;
  for (const RecordBatch& b : batches) rows += b.num_rows();
  return rows;
}

const ChunkTable& ChunkInputs::at(std::string_view input) const {
  auto it = tables.find(input);
  if (it != tables.end()) return it->second;
  std::string known;
  for (const auto& [name, table] : tables) known += (known.empty() ? "" : ", ") + name;
  throw NotFound("the task asked for input '{}'; the inputs are {}", input, known)
      .With("chunk", std::to_string(chunk));
}

}  // namespace sluice
