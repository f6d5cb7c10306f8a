// ConcatenateParquetFiles: one Parquet file holding the row groups of several files of one schema,
// in order, their pages copied as stored (nothing decoded or recompressed): what a job that wrote
// its result in parts (a shuffle's reducers) hands the user as one file, at the speed of copying
// bytes. Column chunks stream through in pieces of at most kConcatPieceBytes, so the memory held
// stays that small whatever the row groups' size. Page indexes and Bloom filters of the inputs are
// not carried over (their offsets point into the inputs); statistics are.
//
// The output is published whole or not at all (row_group_file_writer.h). Errors: InvalidArgument
// naming the input whose schema differs from the first's; the readers' and writer's errors.
//
// Thread safety: a pure function over files nobody writes meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::parquet {

inline constexpr int64_t kConcatPieceBytes = int64_t{4} << 20;

// Returns the output's size in bytes. At least one input.
int64_t ConcatenateParquetFiles(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace sluice::parquet
