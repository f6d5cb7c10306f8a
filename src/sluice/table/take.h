// Take: a new batch (or array) made of the rows at the given indices, in the given order, with
// repeats allowed, in freshly allocated buffers.
//
// Errors (InvalidArgument, raised before anything is allocated): an index outside
// [0, num_rows), naming the column, the index and its position; string or binary data past
// 2^31 - 1 bytes (int32 offsets), naming the column.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/table/allocator.h"
#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

RecordBatch Take(const RecordBatch& batch, std::span<const int64_t> indices,
                 Allocator* allocator = Allocator::Default());

// Each of `row_sets` taken from `batch` (one batch per set), column by column: a column is
// gathered for every set while it is in cache, where taking the sets one after another loads
// the whole batch into cache again for each set.
std::vector<RecordBatch> TakeSets(const RecordBatch& batch,
                                  std::span<const std::span<const int64_t>> row_sets,
                                  Allocator* allocator = Allocator::Default());

// column_name is the error context.
Array Take(const Array& array, std::span<const int64_t> indices,
           Allocator* allocator = Allocator::Default(), std::string_view column_name = "");

}  // namespace sluice
