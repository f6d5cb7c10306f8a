// GatherRows: one batch made of rows picked from several source batches (of one schema), in the
// order given, in fresh buffers. The sorter's and the merger's output step: rows of a sorted run
// come from many input batches, which Take (one source) cannot do. Nested columns gather through
// TakeFromMany (ops/take_from_many.h).
//
// Thread safety: a pure function over immutable values.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "sluice/table/record_batch.h"

namespace sluice {

struct RowRef {
  uint32_t source;  // index into the sources
  uint32_t row;
};

RecordBatch GatherRows(const std::shared_ptr<const Schema>& schema,
                       std::span<const RecordBatch> sources, std::span<const RowRef> rows);

}  // namespace sluice
