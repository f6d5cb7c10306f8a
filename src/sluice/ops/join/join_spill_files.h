// JoinSpillFiles: the spill files that one partitioning of a join input writes its blocks to.
// Blocks of every partition go to a few shared run files (spill.h), one open writer for each
// thread that may write at once, and a file is finished after kBlocksPerFile blocks; a block is
// known by its file and its row group in it, and read back with SpillRunReader(run, blocks).
//
// Why shared: a file per partition keeps a writer open per partition, with its encoding buffers
// and every row group's metadata, which over hundreds of partitions outweighs the partitions'
// buffers; a file per block makes thousands of small files, whose creation and removal cost more
// than the joins (about 1.5 ms per removal on a disk mounted with `discard`).
//
// Memory: each open writer keeps, between blocks, its encoding buffers (about the largest block
// it wrote) and the metadata of the row groups written so far; WriterBytes bounds both, and the
// caller accounts for `writers` of them.
//
// Thread safety: Write may be called from many threads at once (it waits while every writer is
// busy); Finish after every Write has returned. The SpillDirectory must outlive this object.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/ops/spill.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class JoinSpillFiles {
 public:
  static constexpr int kBlocksPerFile = 32;

  // Where Write put a block: the file (an index into Finish's result) and its row group.
  struct Address {
    int file = 0;
    int block = 0;
  };

  JoinSpillFiles(SpillDirectory& directory, std::string stem, std::shared_ptr<const Schema> schema,
                 int writers);
  ~JoinSpillFiles();
  JoinSpillFiles(const JoinSpillFiles&) = delete;
  JoinSpillFiles& operator=(const JoinSpillFiles&) = delete;

  // Writes a non-empty block as one row group.
  Address Write(const RecordBatch& block);
  // Finishes the open files; the runs by file index.
  std::vector<SpillRun> Finish();

  // What one open writer may keep between blocks of up to block_bytes with `columns` columns.
  static int64_t WriterBytes(int64_t block_bytes, int columns);

 private:
  struct Slot {
    std::unique_ptr<SpillRunWriter> writer;
    int file = 0;
    int blocks = 0;
  };
  // Finishes a slot's file into runs_[slot.file]; the caller owns the slot.
  void FinishSlot(Slot& slot);

  SpillDirectory& directory_;
  std::string stem_;
  std::shared_ptr<const Schema> schema_;
  std::vector<Slot> slots_;

  std::mutex mu_;
  std::condition_variable free_cv_;
  std::vector<Slot*> free_;     // guarded by mu_
  std::vector<SpillRun> runs_;  // guarded by mu_: by file index, filled as files finish
  int next_file_ = 0;           // guarded by mu_
};

}  // namespace sluice
