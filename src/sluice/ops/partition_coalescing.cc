#include "sluice/ops/partition_coalescing.h"

#include <algorithm>

namespace sluice {
namespace {

std::vector<PartitionRange> Greedy(std::span<const int64_t> bytes, int64_t target) {
  std::vector<PartitionRange> ranges;
  int64_t current = 0;
  for (int p = 0; p < static_cast<int>(bytes.size()); ++p) {
    const int64_t b = bytes[static_cast<size_t>(p)];
    if (ranges.empty() || (current > 0 && current + b > target)) {
      ranges.push_back({p, p + 1});
      current = b;
    } else {
      ranges.back().end = p + 1;
      current += b;
    }
  }
  return ranges;
}

}  // namespace

std::vector<PartitionRange> CoalescePartitions(std::span<const int64_t> bytes, int64_t target_bytes,
                                               int min_ranges, int max_ranges) {
  const int n = static_cast<int>(bytes.size());
  if (n == 0) return {};
  min_ranges = std::clamp(min_ranges, 1, n);
  max_ranges = std::clamp(max_ranges, min_ranges, n);
  int64_t target = std::max<int64_t>(target_bytes, 1);
  std::vector<PartitionRange> ranges = Greedy(bytes, target);
  // Each step changes the target by a quarter, so the count moves toward the bounds in O(log)
  // passes; at target 1 every partition is its own range, at the total there is one range.
  int64_t total = 0;
  for (int64_t b : bytes) total += b;
  while (static_cast<int>(ranges.size()) > max_ranges && target < total) {
    target = std::min(total, target + target / 4 + 1);
    ranges = Greedy(bytes, target);
  }
  while (static_cast<int>(ranges.size()) < min_ranges && target > 1) {
    target = std::max<int64_t>(1, target - target / 4 - 1);
    ranges = Greedy(bytes, target);
  }
  // Equal bytes can keep the greedy count off the bounds (zero-byte partitions always join their
  // neighbour); fall back to equal counts of partitions.
  if (static_cast<int>(ranges.size()) < min_ranges ||
      static_cast<int>(ranges.size()) > max_ranges) {
    const int count = std::clamp(static_cast<int>(ranges.size()), min_ranges, max_ranges);
    ranges.clear();
    for (int i = 0; i < count; ++i) {
      ranges.push_back({static_cast<int>(int64_t{n} * i / count),
                        static_cast<int>(int64_t{n} * (i + 1) / count)});
    }
  }
  return ranges;
}

std::vector<int> SkewedPartitions(std::span<const int64_t> bytes, double factor,
                                  int64_t threshold_bytes) {
  if (bytes.empty()) return {};
  std::vector<int64_t> sorted(bytes.begin(), bytes.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2),
                   sorted.end());
  const double median = static_cast<double>(sorted[sorted.size() / 2]);
  std::vector<int> skewed;
  for (int p = 0; p < static_cast<int>(bytes.size()); ++p) {
    const int64_t b = bytes[static_cast<size_t>(p)];
    if (b > threshold_bytes && static_cast<double>(b) > factor * median) skewed.push_back(p);
  }
  return skewed;
}

}  // namespace sluice
