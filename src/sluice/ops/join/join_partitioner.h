// JoinPartitioner: the map side of a Grace hash join. Splits batches of one join input by the hash
// of their key columns into P partitions and writes them as spill blocks under the job's
// SpillDirectory. Rows are buffered per partition and written in blocks of about block_bytes,
// each one row group of a spill file shared with other partitions' blocks (JoinSpillFiles); a
// partition is read back as its blocks, file by file, so a large one is several runs, which lets a
// skewed partition be split into pieces without re-reading it.
//
// The partition of a row is PartitionOf(row hash with `seed`, P) (hash_aggregation.h). A
// re-partitioning of one partition uses another seed, so rows that shared a partition spread
// out again.
//
// Memory (MemoryBytes): a partition's buffer never holds more than block_bytes (a piece that would
// take it past is preceded by a flush; a piece of block_bytes or more is written at once), so at
// most P * block_bytes is buffered. Beside that, each of the `threads` that may call Add at once
// holds a slice's hashes and row order and one piece of it (batches are split into slices of
// about kSliceBytes, at most kSliceRows rows) and, during a flush, the block concatenated and
// encoded; and each of as many open spill writers keeps its buffers and row-group metadata
// (JoinSpillFiles::WriterBytes). The caller accounts for it.
//
// Thread safety: Add may be called from `threads` threads at once (one lock per partition);
// Finish after every Add has returned.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/ops/join/join_build_size.h"
#include "sluice/ops/join/join_spill_files.h"
#include "sluice/ops/spill.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// The blocks of one partition in one spill file, read with SpillRunReader(run, blocks).
struct JoinRunBlocks {
  SpillRun run;
  std::vector<int> blocks;
  int64_t rows = 0;
};

// One partition of one side: its blocks, file by file in write order, and its size.
struct JoinPartitionRuns {
  std::vector<JoinRunBlocks> runs;
  JoinBuildSize size;      // in memory, as the batches were before writing
  int64_t file_bytes = 0;  // on disk: its rows' share of the files they are in
};

class JoinPartitioner {
 public:
  JoinPartitioner(SpillDirectory& directory, std::string stem, std::shared_ptr<const Schema> schema,
                  std::vector<int> key_columns, int partitions, uint64_t seed, int64_t block_bytes,
                  int threads);

  void Add(const RecordBatch& batch);
  std::vector<JoinPartitionRuns> Finish();

  static constexpr int64_t kSliceRows = 1 << 14;
  static constexpr int64_t kSliceBytes = 1 << 20;
  static constexpr int64_t kMinBlockBytes = 32 << 10;
  static constexpr int64_t kMaxBlockBytes = 8 << 20;

  // The most a partitioner of these parameters holds (see above).
  static int64_t MemoryBytes(int partitions, int threads, int64_t block_bytes, int columns);
  // The largest block (within [kMinBlockBytes, kMaxBlockBytes]) whose MemoryBytes fit `memory`;
  // kMinBlockBytes when none does.
  static int64_t BlockBytesFor(int64_t memory, int partitions, int threads, int columns);

 private:
  struct Partition {
    std::mutex mu;
    std::vector<RecordBatch> buffer;              // guarded by mu
    int64_t buffered = 0;                         // guarded by mu
    JoinBuildSize size;                           // guarded by mu
    std::vector<JoinSpillFiles::Address> blocks;  // guarded by mu
    std::vector<int64_t> block_rows;              // guarded by mu
  };
  void AddSlice(const RecordBatch& batch);
  void Append(Partition& p, RecordBatch piece);
  void FlushLocked(Partition& p);

  std::vector<int> key_columns_;
  uint64_t seed_;
  int64_t block_bytes_;
  JoinSpillFiles files_;
  std::vector<std::unique_ptr<Partition>> partitions_;
};

}  // namespace sluice
