// Range slicing for a sort across hosts: the sample task reads a few thousand sort keys spread
// over every input (up to four row groups of each file, a few hundred keys from each), encoded as
// normalized keys (ops/sort/sort_key_encoder.h), and keeps the quantiles that cut them into
// `partitions` ranges as kBoundariesFile. Map tasks then send each row to the range its key falls
// in, so reduce task r holds only keys between boundaries r-1 and r: sorting each range and
// concatenating the ranges in order sorts the whole. A skewed key (one value in many rows) lands
// in one range; equal boundaries collapse.
//
// Thread safety: pure functions over their arguments and the file system.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "sluice/jobs/shuffle/shuffle_spec.h"
#include "sluice/ops/sort/sort_key_encoder.h"
#include "sluice/table/record_batch.h"

namespace sluice::shuffle {

inline constexpr char kBoundariesFile[] = "boundaries.bin";

// The sample task: writes kBoundariesFile into `dir` (the attempt's directory).
void WriteSortBoundaries(const ShuffleSpec& spec, const std::filesystem::path& dir);

// The committed sample's boundaries, ascending. InvalidData naming the file when it is damaged.
std::vector<std::string> ReadSortBoundaries(const ShuffleSpec& spec);

// The range of each row of `batch`: the number of boundaries at or below its key.
std::vector<int> RangeSlices(const SortKeyEncoder& encoder, std::span<const std::string> boundaries,
                             const RecordBatch& batch);

}  // namespace sluice::shuffle
