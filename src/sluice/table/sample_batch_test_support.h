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

// `rows` rows of nested columns: ints list<int32>, names large_list<string not null>, pair
// fixed_size_list<float64>[2], point struct<x: int32, tags: list<string>>, attrs
// map<string, int64>, points list<point's struct>, grid list<list<int32>>; nulls at every level
// and empty lists, deterministic in `rows`.
RecordBatch MakeNestedSampleBatch(int64_t rows, Allocator* allocator = Allocator::Default());

}  // namespace sluice
