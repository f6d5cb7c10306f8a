// The insert end of a bloom pipeline, shared by the CSV byte path (bloom_job.h) and the scan
// path (bloom_scan.h): batches of value hashes are folded into partial filters, one per insert
// task, merged once at the end; and the job's result filled from the merged filter.
//
// Partial filters: as many as fit half the budget (at least one), and one per four CPU threads:
// inserting a hash costs about a fifth of parsing and hashing its row (perf), and every extra
// partial is another large filter to miss cache in and to merge. The pipeline runs in the rest.
//
// Thread safety: the stage's functions run on the pipeline's threads, each on its own partial;
// the rest is called from the job's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/flow/pipeline.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/jobs/bloom/bloom_job.h"

namespace sluice {

// The hashes of one chunk's or batch's values.
struct BloomHashes {
  std::vector<uint64_t> hashes;
  int64_t rows = 0;
  int64_t nulls = 0;
};
inline int64_t ByteSize(const BloomHashes& b) {
  return static_cast<int64_t>(b.hashes.capacity() * sizeof(uint64_t));
}

struct BloomPartial {
  int64_t blocks = 0;
  SplitBlockBloomFilter filter;  // allocated at the first insert, so copies of the init are free
  int64_t rows = 0;
  int64_t nulls = 0;
};

// The filter's blocks for `expected` items at `fpr`, the partial filters, and the run options
// of the pipeline (its budget less every partial filter, at least a quarter of it).
struct BloomInsertPlan {
  int64_t blocks = 0;
  int partials = 1;
  RunOptions run;
};
BloomInsertPlan PlanBloomInsert(const RunOptions& run, int64_t expected, double fpr);

// The run options of a first pass that counts rows to size the filter: no report, no progress.
RunOptions SizingPassOptions(const RunOptions& run);

// Adds the "insert" stage after `hashes`.
ReduceResult<BloomPartial> AddBloomInsert(Stream<BloomHashes> hashes, const BloomInsertPlan& plan);

// Fills `result` (rows, nulls, the filter file with `type`, `expected` and result.file.sizing as
// set) from the merged partial, warns when it holds more items than it was sized for, and writes
// it to options.output through `output_fs` unless that is "".
void FinishBloomResult(BloomPartial& merged, const BloomJobOptions& options, BloomValueType type,
                       int64_t expected, const BloomInsertPlan& plan, fs::FileSystem& output_fs,
                       BloomJobResult& result);

}  // namespace sluice
