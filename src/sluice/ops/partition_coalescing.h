// Adaptive partition counts, as adaptive query execution does after a shuffle's map side: the
// measured sizes of hash partitions decide how many reduce tasks there are. Adjacent small
// partitions are coalesced into one task up to an advisory size, within the user's
// --partitions MIN..MAX; a partition far larger than its peers (skew) is flagged so its
// operator can split its work.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sluice {

// Partitions [begin, end), handled by one task.
struct PartitionRange {
  int begin = 0;
  int end = 0;
};

// Cuts partitions 0..bytes.size() into adjacent ranges: a range takes partitions while its
// bytes stay at most target_bytes (a single larger partition is a range of its own). The count
// is then brought into [min_ranges, max_ranges] (never more ranges than partitions) by raising or
// lowering the target. An empty input gives no ranges.
std::vector<PartitionRange> CoalescePartitions(std::span<const int64_t> bytes, int64_t target_bytes,
                                               int min_ranges, int max_ranges);

// Partitions whose bytes exceed `factor` times the median partition and `threshold_bytes`.
std::vector<int> SkewedPartitions(std::span<const int64_t> bytes, double factor,
                                  int64_t threshold_bytes);

}  // namespace sluice
