// SortChunk: orders the rows of an in-memory chunk of keyed batches (a batch whose last column
// holds each row's normalized sort key, see sort_key_encoder.h) by that key, and hands the sorted
// rows over as keyed batches of at most `batch_rows` rows: one sorted run.
//
// The sort orders (8-byte key prefix, rest of the key) entries with std::sort; keys carry their
// stream position, so they are unique and the result does not depend on the algorithm's
// stability. With a limit, only the first `limit` rows are selected (nth_element) and sorted.
//
// Thread safety: a pure function; many chunks may be sorted at once on different threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "sluice/table/record_batch.h"

namespace sluice {

// Rows emitted.
int64_t SortChunk(const std::shared_ptr<const Schema>& keyed_schema,
                  std::span<const RecordBatch> batches, int64_t batch_rows, int64_t limit,
                  const std::function<void(RecordBatch)>& emit);

}  // namespace sluice
