#include "sluice/ops/join/join_partitioner.h"

#include <algorithm>

#include "sluice/ops/hash_aggregation.h"
#include "sluice/table/concat.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {

JoinPartitioner::JoinPartitioner(SpillDirectory& directory, std::string stem,
                                 std::shared_ptr<const Schema> schema, std::vector<int> key_columns,
                                 int partitions, uint64_t seed, int64_t block_bytes, int threads)
    : key_columns_(std::move(key_columns)),
      seed_(seed),
      block_bytes_(block_bytes),
      files_(directory, std::move(stem), std::move(schema), threads) {
  for (int p = 0; p < partitions; ++p) partitions_.push_back(std::make_unique<Partition>());
}

int64_t JoinPartitioner::MemoryBytes(int partitions, int threads, int64_t block_bytes,
                                     int columns) {
  const int64_t thread = kSliceRows * 20 + kSliceBytes + 3 * block_bytes;
  return partitions * block_bytes +
         threads * (thread + JoinSpillFiles::WriterBytes(block_bytes, columns));
}

int64_t JoinPartitioner::BlockBytesFor(int64_t memory, int partitions, int threads, int columns) {
  // MemoryBytes is linear in the block: fixed + per_block * block.
  const int64_t fixed = MemoryBytes(partitions, threads, 0, columns);
  const int64_t per_block = MemoryBytes(partitions, threads, 1, columns) - fixed;
  const int64_t block = (memory - fixed) / std::max<int64_t>(per_block, 1);
  return std::clamp(block, kMinBlockBytes, kMaxBlockBytes);
}

void JoinPartitioner::Add(const RecordBatch& batch) {
  const int64_t rows = batch.num_rows();
  if (rows == 0) return;
  const int64_t row_bytes = std::max<int64_t>(ByteSize(batch) / rows, 1);
  const int64_t slice = std::clamp<int64_t>(kSliceBytes / row_bytes, 1, kSliceRows);
  for (int64_t offset = 0; offset < rows; offset += slice) {
    const int64_t length = std::min(slice, rows - offset);
    AddSlice(length == rows ? batch : batch.Slice(offset, length));
  }
}

void JoinPartitioner::AddSlice(const RecordBatch& batch) {
  const int64_t rows = batch.num_rows();
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
  p.size.Add(piece, key_columns_);
  if (p.buffered > 0 && p.buffered + bytes > block_bytes_) FlushLocked(p);
  p.buffered += bytes;
  p.buffer.push_back(std::move(piece));
  if (p.buffered >= block_bytes_) FlushLocked(p);
}

void JoinPartitioner::FlushLocked(Partition& p) {
  if (p.buffer.empty()) return;
  const RecordBatch block = p.buffer.size() == 1 ? p.buffer[0] : Concat(p.buffer);
  p.buffer.clear();
  p.buffered = 0;
  p.blocks.push_back(files_.Write(block));
  p.block_rows.push_back(block.num_rows());
}

std::vector<JoinPartitionRuns> JoinPartitioner::Finish() {
  for (auto& p : partitions_) {
    std::lock_guard lock(p->mu);
    FlushLocked(*p);
  }
  const std::vector<SpillRun> files = files_.Finish();
  std::vector<JoinPartitionRuns> out;
  for (auto& p : partitions_) {
    JoinPartitionRuns runs;
    runs.size = std::move(p->size);
    // Blocks grouped by file, files in the order the partition first wrote to them.
    std::vector<int> slot_of_file(files.size(), -1);
    for (size_t b = 0; b < p->blocks.size(); ++b) {
      const JoinSpillFiles::Address a = p->blocks[b];
      int& slot = slot_of_file[static_cast<size_t>(a.file)];
      if (slot < 0) {
        slot = static_cast<int>(runs.runs.size());
        runs.runs.push_back({files[static_cast<size_t>(a.file)], {}, 0});
      }
      JoinRunBlocks& run = runs.runs[static_cast<size_t>(slot)];
      run.blocks.push_back(a.block);
      run.rows += p->block_rows[b];
    }
    for (const JoinRunBlocks& run : runs.runs) {
      if (run.run.rows > 0) {
        runs.file_bytes +=
            static_cast<int64_t>(static_cast<double>(run.run.file_bytes) *
                                 static_cast<double>(run.rows) / static_cast<double>(run.run.rows));
      }
    }
    out.push_back(std::move(runs));
  }
  return out;
}

}  // namespace sluice
