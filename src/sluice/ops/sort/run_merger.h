// MergeRuns: a k-way merge of sorted runs of keyed batches (last column: the normalized sort key)
// into one sorted stream of keyed batches, through a loser tree: each output row costs about
// log2(k) key comparisons, and each run holds only its current batch in memory.
//
// A run is a function returning its next batch (nullopt at the end), so in-memory runs and spill
// files merge alike. Ties between runs (equal keys, which positions rule out in a full sort) go
// to the lower run index.
//
// Thread safety: a merge runs on the calling thread; the sources are called from it only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/table/record_batch.h"

namespace sluice {

using RunSource = std::function<std::optional<RecordBatch>()>;

// Emits batches of at most batch_rows rows, stopping after `limit` rows (-1: all); returns the
// rows emitted. Checks `cancel` between output batches.
int64_t MergeRuns(const std::shared_ptr<const Schema>& keyed_schema, std::vector<RunSource> sources,
                  int64_t batch_rows, int64_t limit, const CancellationToken& cancel,
                  const std::function<void(RecordBatch)>& emit);

}  // namespace sluice
