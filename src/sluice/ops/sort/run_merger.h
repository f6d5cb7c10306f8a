// MergeRuns: a k-way merge of sorted runs of keyed batches (last column: the normalized sort key)
// into one sorted stream, through a loser tree: each output row costs about log2(k) key
// comparisons.
//
// A run is either in memory (a chunk's batches and the sorted order of their rows, see
// chunk_sorter.h: merged without copying the chunk first) or streamed (a function returning its
// next batch, nullopt at the end: a spill file, of which only the current batch is in memory).
// Ties between runs (equal keys, which positions rule out in a full sort) go to the lower run
// index, in-memory runs first.
//
// Thread safety: a merge runs on the calling thread; the sources are called from it only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/ops/sort/row_gather.h"
#include "sluice/table/record_batch.h"

namespace sluice {

struct SortedRows {
  std::vector<RecordBatch> batches;  // keyed
  std::vector<RowRef> order;
};

using RunSource = std::function<std::optional<RecordBatch>()>;

// Emits batches of `out_schema` (the keyed schema, or it without the key column) of at most
// batch_rows rows, stopping after `limit` rows (-1: all); returns the rows emitted. Checks
// `cancel` between output batches. `shared_key_bytes`: how many leading bytes every key of every
// run is known to share (0 when unknown); the merge compares the bytes after them first.
int64_t MergeRuns(const std::shared_ptr<const Schema>& keyed_schema,
                  const std::shared_ptr<const Schema>& out_schema,
                  const std::vector<SortedRows>& in_memory, std::vector<RunSource> streamed,
                  int64_t batch_rows, int64_t limit, const CancellationToken& cancel,
                  const std::function<void(RecordBatch)>& emit, size_t shared_key_bytes = 0);

}  // namespace sluice
