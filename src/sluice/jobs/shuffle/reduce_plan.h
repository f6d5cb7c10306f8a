// A shuffle's reduce tasks, planned at the barrier from the measured bytes of every map output's
// slices (map_output.h). Adjacent small slices are coalesced into one task up to the advisory
// size (ops/partition_coalescing.h). For a join, a slice far larger on one side than that side's
// median slice (skew: one hot key) is then split, as Spark AQE's OptimizeSkewedJoin splits it:
// several tasks each read a contiguous range of that side's map outputs and the whole slice of
// the other side. A side is split only where the join kind lets its rows be joined apart (each
// row meets every row of the other side's slice in exactly one task): inner either side (both:
// every pair of ranges), left, semi and anti the left, right the right, full neither. A grouped
// aggregation, distinct or sort is never split: a group's rows would need a merge after.
//
// Thread safety: pure functions; ReduceTask is a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ops/partition_coalescing.h"

namespace sluice::shuffle {

// A skewed slice: above kSkewFactor times its side's median slice and above the advisory size.
inline constexpr double kSkewFactor = 5.0;

// Map outputs [begin, end) of one side, numbered in map order within that side.
struct MapRange {
  int begin = 0;
  int end = 0;
  bool operator==(const MapRange&) const = default;
};

struct ReduceTask {
  PartitionRange slices;
  std::optional<MapRange> left_maps;   // nullopt: every map output of the side
  std::optional<MapRange> right_maps;  // likewise

  // The reduce partition's definition: {"first": a, "end": b[, "left_maps": [b, e]]
  // [, "right_maps": [b, e]]}, and back (InvalidData naming the text when malformed).
  std::string ToJson() const;
  static ReduceTask FromJson(const std::string& json);
};

// bytes[m][s]: the bytes of slice s in the side's map output m.
using MapSliceBytes = std::vector<std::vector<int64_t>>;

struct SplittableSides {
  bool left = false;
  bool right = false;
};
// The sides of a join of kind `how` whose skewed slices may be split (see above).
SplittableSides SplittableSidesOf(std::string_view how);

// The reduce tasks over `slices` slices: coalesced within [min_tasks, max_tasks] from the summed
// bytes of both sides, then each skewed slice of a splittable side cut out of its range and split
// into map ranges of about advisory_bytes (a side with one map output cannot split). Splits add
// tasks beyond max_tasks. `right` is empty for anything but a join.
std::vector<ReduceTask> PlanReduceTasks(int slices, const MapSliceBytes& left,
                                        const MapSliceBytes& right, SplittableSides sides,
                                        int64_t advisory_bytes, int min_tasks, int max_tasks);

}  // namespace sluice::shuffle
