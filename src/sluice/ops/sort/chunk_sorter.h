// SortChunkOrder: orders the rows of an in-memory chunk of keyed batches (a batch whose last
// column holds each row's normalized sort key, see sort_key_encoder.h) by that key: the sorted
// run is the chunk plus this order, so keeping a run in memory costs 8 bytes a row, not a copy.
//
// Rows are radix-sorted by the 8 key bytes that follow those every key of the chunk shares (a
// pass per byte that differs between keys), each run of rows whose bytes tie by the next 8, and
// so on; short runs by whole keys.
// Keys carry their stream position, so they are unique and the result does not depend on
// stability. With a limit, the first `limit` rows are returned.
//
// Thread safety: pure functions; many chunks may be sorted at once on different threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "sluice/ops/sort/row_gather.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// The working memory SortChunkOrder takes per row of the chunk while it sorts (its rows and the
// radix sort's second buffer), beside the order it returns (sizeof(RowRef) a row, or a limit's
// worth).
inline constexpr int64_t kSortEntryBytes = 32;

std::vector<RowRef> SortChunkOrder(const std::shared_ptr<const Schema>& keyed_schema,
                                   std::span<const RecordBatch> batches, int64_t limit);

// The rows of `batches` in `order`, as batches of `schema` (the keyed schema, or a prefix of its
// columns) of at most batch_rows rows.
void EmitInOrder(const std::shared_ptr<const Schema>& schema, std::span<const RecordBatch> batches,
                 std::span<const RowRef> order, int64_t batch_rows,
                 const std::function<void(RecordBatch)>& emit);

}  // namespace sluice
