// Test support: a deterministic record batch with one column of every sluice type, nulls in
// every column at rows where (row + column) % 7 == 3, for round-trip and interop tests.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>

#include "sluice/table/allocator.h"
#include "sluice/table/record_batch.h"

namespace sluice {

RecordBatch MakeSampleBatch(int64_t rows, Allocator* allocator = Allocator::Default());

}  // namespace sluice
