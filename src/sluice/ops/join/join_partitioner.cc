#include "sluice/ops/join/join_partitioner.h"

#include "sluice/ops/hash_aggregation.h"
#include "sluice/table/concat.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {

JoinPartitioner::JoinPartitioner(SpillDirectory& directory, std::string stem,
                                 std::shared_ptr<const Schema> schema, std::vector<int> key_columns,
                                 int partitions, uint64_t seed, int64_t block_bytes,
                                 int64_t run_bytes)
    : directory_(directory),
      stem_(std::move(stem)),
      schema_(std::move(schema)),
      key_columns_(std::move(key_columns)),
      seed_(seed),
      block_bytes_(block_bytes),
      run_bytes_(run_bytes) {
  for (int p = 0; p < partitions; ++p) partitions_.push_back(std::make_unique<Partition>());
}

void JoinPartitioner::Add(const RecordBatch& batch) {
  const int64_t rows = batch.num_rows();
  if (rows == 0) return;
  const int count = static_cast<int>(partitions_.size());
  std::vector<uint64_t> hashes = HashRows(batch, key_columns_, seed_);
  // Counting sort of the rows by partition.
  std::vector<int64_t> starts(static_cast<size_t>(count) + 1, 0);
  std::vector<int> part(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    part[static_cast<size_t>(r)] = PartitionOf(hashes[static_cast<size_t>(r)], count);
    ++starts[static_cast<size_t>(part[static_cast<size_t>(r)]) + 1];
  }
  for (int p = 0; p < count; ++p)
    starts[static_cast<size_t>(p) + 1] += starts[static_cast<size_t>(p)];
  for (int p = 0; p < count; ++p) {
    if (starts[static_cast<size_t>(p) + 1] - starts[static_cast<size_t>(p)] == rows) {
      Append(*partitions_[static_cast<size_t>(p)], batch);
      return;
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(rows));
  std::vector<int64_t> cursor(starts.begin(), starts.end() - 1);
  for (int64_t r = 0; r < rows; ++r) {
    order[static_cast<size_t>(cursor[static_cast<size_t>(part[static_cast<size_t>(r)])]++)] = r;
  }
  for (int p = 0; p < count; ++p) {
    const int64_t begin = starts[static_cast<size_t>(p)];
    const int64_t end = starts[static_cast<size_t>(p) + 1];
    if (begin == end) continue;
    Append(*partitions_[static_cast<size_t>(p)],
           Take(batch, std::span<const int64_t>(order).subspan(static_cast<size_t>(begin),
                                                               static_cast<size_t>(end - begin))));
  }
}

void JoinPartitioner::Append(Partition& p, RecordBatch piece) {
  const int64_t bytes = ByteSize(piece);
  std::lock_guard lock(p.mu);
  p.done.rows += piece.num_rows();
  p.done.bytes += bytes;
  p.buffered += bytes;
  p.buffer.push_back(std::move(piece));
  if (p.buffered >= block_bytes_) FlushLocked(p, false);
}

void JoinPartitioner::FlushLocked(Partition& p, bool finish_run) {
  if (!p.buffer.empty()) {
    if (p.writer == nullptr) {
      p.writer = std::make_unique<SpillRunWriter>(directory_, stem_, schema_);
    }
    const RecordBatch block = p.buffer.size() == 1 ? p.buffer[0] : Concat(p.buffer);
    p.writer->Write(block);
    p.run_bytes += p.buffered;
    p.buffer.clear();
    p.buffered = 0;
  }
  if (p.writer != nullptr && (finish_run || p.run_bytes >= run_bytes_)) {
    SpillRun run = p.writer->Finish();
    p.writer.reset();
    p.done.file_bytes += run.file_bytes;
    p.done.runs.push_back(std::move(run));
    p.run_bytes = 0;
  }
}

std::vector<JoinPartitionRuns> JoinPartitioner::Finish() {
  std::vector<JoinPartitionRuns> out;
  for (auto& p : partitions_) {
    std::lock_guard lock(p->mu);
    FlushLocked(*p, true);
    out.push_back(std::move(p->done));
  }
  return out;
}

}  // namespace sluice
