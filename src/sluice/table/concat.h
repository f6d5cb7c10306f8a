// Concat: one batch (or array) holding the rows of several, in order, in freshly allocated
// buffers (a compaction's output must not pin its inputs' memory).
//
// Errors (InvalidArgument): no inputs; schemas that differ (naming the first differing column and
// the batch); string or binary data past 2^31 - 1 bytes in one column (int32 offsets), naming the
// column. The size check runs before anything is allocated.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <span>
#include <string_view>

#include "sluice/table/allocator.h"
#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

RecordBatch Concat(std::span<const RecordBatch> batches,
                   Allocator* allocator = Allocator::Default());

// column_name is the error context; all arrays must share one type.
Array ConcatArrays(std::span<const Array> arrays, Allocator* allocator = Allocator::Default(),
                   std::string_view column_name = "");

}  // namespace sluice
