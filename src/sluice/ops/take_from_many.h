// TakeFromMany: one array made of rows picked from several arrays of one type, in the order
// given, in fresh buffers. Each source's rows are taken once (table/take.h), the pieces laid end
// to end and put in order by one more Take, so it serves any type, nested ones included, where
// the sorter's and the group-by's hand-written gathers know only flat layouts.
//
// Thread safety: a pure function over immutable values.
#pragma once

#include <cstdint>
#include <span>

#include "sluice/table/array.h"

namespace sluice {

struct SourceRow {
  uint32_t source;  // index into the arrays
  int64_t row;
};

// `arrays` is not empty; every row lies inside its source.
Array TakeFromMany(std::span<const Array* const> arrays, std::span<const SourceRow> rows);

}  // namespace sluice
