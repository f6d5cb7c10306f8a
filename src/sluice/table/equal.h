// Logical equality of arrays and record batches: same type, same length, nulls in the same rows
// and equal values in every valid row. Offsets, buffer identity and the bytes under nulls do not
// matter. Floats compare with ==, except that NaN equals NaN (so a batch equals its own copy);
// -0.0 equals 0.0.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

bool ArrayEquals(const Array& a, const Array& b);
// Schemas equal (names, types, nullability) and every column equal.
bool RecordBatchEquals(const RecordBatch& a, const RecordBatch& b);

inline bool operator==(const Array& a, const Array& b) { return ArrayEquals(a, b); }
inline bool operator==(const RecordBatch& a, const RecordBatch& b) {
  return RecordBatchEquals(a, b);
}

}  // namespace sluice
