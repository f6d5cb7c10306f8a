// Arrays of one input file brought to the type of a compaction's output column (schema_union.h's
// compatible widenings): integers to more bits or from unsigned to a wider signed type, float32 to
// float64, a decimal to a larger precision of the same scale; and arrays of nulls for a file that
// lacks the column. Used when a widened column chunk is re-encoded, and when --verify and a sorted
// compaction read the inputs as the output's schema.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <memory>

#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/type.h"

namespace sluice::compact {

// `in` as `to`: itself when the types are equal; InvalidData naming both types when `to` is not
// one of its widenings.
Array WidenArray(const Array& in, const DataType& to);

// `rows` nulls of `type` (any type, nested too).
Array NullArray(const DataType& type, int64_t rows);

// `batch` (the columns one file has) as a batch of `schema`, columns matched by name: missing
// columns null, narrower ones widened.
RecordBatch AsSchema(const RecordBatch& batch, const std::shared_ptr<const Schema>& schema);

}  // namespace sluice::compact
