// How the split phase (chunk_split.h) spends the job's memory budget. Three things hold memory
// while it runs, and only the first is seen by the flow executor:
//
//   pipeline  the executor's items: decoded pieces and the chunk pieces cut from them
//   writers   one Parquet writer per (input, chunk) file, all open until the end: each buffers a
//             row group, and once it has written one, keeps its encoder's buffers (gathered
//             values, dictionary, page and chunk bytes: about twice the row group, and some
//             192 KiB whatever its size; measured with heaptrack on 64 writers)
//   reads     the units being read: a Parquet row group's stored chunks, decoded batches and
//             decoding scratch before its first piece is handed over
//
// The writers get a quarter of the budget, or what row groups of kMinWriterRowGroupBytes need if
// that is more (smaller row groups would make every file's footer, which its writer keeps until
// it closes, grow with the data instead); their row group target is what their share leaves per
// writer. Two reads run at once when they take at most a third of what the writers leave, else
// one; the executor gets the rest, and at least kMinPipelineBytes, so a job of very many chunks
// can pass a small budget; everything else stays inside it.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>

namespace sluice::batch {

// What a writer holds once it has written a row group: this many bytes per byte of its row group
// target, and a fixed part.
inline constexpr int64_t kWriterBytesPerRowGroupByte = 3;
inline constexpr int64_t kWriterFixedBytes = int64_t{192} << 10;
inline constexpr int64_t kMinWriterRowGroupBytes = int64_t{64} << 10;
inline constexpr int64_t kMaxWriterRowGroupBytes = int64_t{32} << 20;
inline constexpr int64_t kMinPipelineBytes = int64_t{4} << 20;

struct SplitMemoryPlan {
  int64_t row_group_bytes = 0;  // each writer's row group target
  int64_t writers = 0;          // what all writers hold together
  int reads = 1;                // units read at once
  int64_t reads_bytes = 0;      // what they hold
  int64_t pipeline = 0;         // the executor's budget
};

// `writers`: (input, chunk) files; `unit_read_bytes`: what reading the largest unit holds (an
// estimate, BatchInput's UnitReadBytes).
SplitMemoryPlan PlanSplitMemory(int64_t budget, int64_t writers, int64_t unit_read_bytes);

}  // namespace sluice::batch
