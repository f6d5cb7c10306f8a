// JoinPartitioner: the map side of a Grace hash join. Splits batches of one join input by the hash
// of their key columns into P partitions and writes each partition as spill runs (spill.h) under
// the job's SpillDirectory. Rows are buffered per partition and written in blocks of about
// block_bytes; a run is finished and the next one started every run_bytes, so a large partition
// is several runs, which lets a skewed partition be split into pieces without re-reading it.
//
// The partition of a row is PartitionOf(row hash with `seed`, P) (hash_aggregation.h). A
// re-partitioning of one partition uses another seed, so rows that shared a partition spread
// out again.
//
// Memory: at most about P * block_bytes is buffered at once (the caller accounts it).
//
// Thread safety: Add may be called from many threads at once (one lock per partition); Finish
// after every Add has returned.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/ops/spill.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// One partition of one side: its runs in write order and its size.
struct JoinPartitionRuns {
  std::vector<SpillRun> runs;
  int64_t rows = 0;
  int64_t bytes = 0;       // in memory, as the batches were before writing
  int64_t file_bytes = 0;  // on disk
};

class JoinPartitioner {
 public:
  JoinPartitioner(SpillDirectory& directory, std::string stem, std::shared_ptr<const Schema> schema,
                  std::vector<int> key_columns, int partitions, uint64_t seed, int64_t block_bytes,
                  int64_t run_bytes);

  void Add(const RecordBatch& batch);
  std::vector<JoinPartitionRuns> Finish();

 private:
  struct Partition {
    std::mutex mu;
    std::vector<RecordBatch> buffer;         // guarded by mu
    int64_t buffered = 0;                    // guarded by mu
    int64_t run_bytes = 0;                   // guarded by mu: bytes in the open run
    std::unique_ptr<SpillRunWriter> writer;  // guarded by mu
    JoinPartitionRuns done;                  // guarded by mu
  };
  void Append(Partition& p, RecordBatch piece);
  void FlushLocked(Partition& p, bool finish_run);

  SpillDirectory& directory_;
  std::string stem_;
  std::shared_ptr<const Schema> schema_;
  std::vector<int> key_columns_;
  uint64_t seed_;
  int64_t block_bytes_;
  int64_t run_bytes_;
  std::vector<std::unique_ptr<Partition>> partitions_;
};

}  // namespace sluice
