#include "sluice/ops/partition_coalescing.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

int64_t Sum(const std::vector<int64_t>& bytes, PartitionRange r) {
  int64_t total = 0;
  for (int p = r.begin; p < r.end; ++p) total += bytes[static_cast<size_t>(p)];
  return total;
}

void ExpectCover(const std::vector<PartitionRange>& ranges, int n) {
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.front().begin, 0);
  EXPECT_EQ(ranges.back().end, n);
  for (size_t i = 1; i < ranges.size(); ++i) EXPECT_EQ(ranges[i].begin, ranges[i - 1].end);
  for (const auto& r : ranges) EXPECT_LT(r.begin, r.end);
}

TEST(CoalescePartitions, SmallNeighboursShareATaskUpToTheTarget) {
  const std::vector<int64_t> bytes = {10, 10, 10, 50, 5, 5, 100, 1};
  auto ranges = CoalescePartitions(bytes, 30, 1, 100);
  ExpectCover(ranges, 8);
  ASSERT_EQ(ranges.size(), 5u);  // {0,1,2} {3} {4,5} {6} {7}
  EXPECT_EQ(Sum(bytes, ranges[0]), 30);
  EXPECT_EQ(Sum(bytes, ranges[1]), 50);  // larger than the target: alone
  EXPECT_EQ(Sum(bytes, ranges[2]), 10);
  EXPECT_EQ(Sum(bytes, ranges[3]), 100);
}

TEST(CoalescePartitions, CountStaysWithinTheUsersBounds) {
  const std::vector<int64_t> bytes(64, 1000);
  auto few = CoalescePartitions(bytes, 1'000'000, 1, 100);
  EXPECT_EQ(few.size(), 1u);
  auto at_least = CoalescePartitions(bytes, 1'000'000, 8, 100);
  ExpectCover(at_least, 64);
  EXPECT_GE(at_least.size(), 8u);
  auto at_most = CoalescePartitions(bytes, 1, 1, 4);
  ExpectCover(at_most, 64);
  EXPECT_LE(at_most.size(), 4u);
  const std::vector<int64_t> zeros(16, 0);
  auto split = CoalescePartitions(zeros, 100, 4, 4);
  ExpectCover(split, 16);
  EXPECT_EQ(split.size(), 4u);
  EXPECT_TRUE(CoalescePartitions({}, 10, 1, 4).empty());
}

TEST(SkewedPartitions, FlagsOnlyPartitionsFarAboveTheMedianAndTheThreshold) {
  const std::vector<int64_t> bytes = {100, 110, 90, 2000, 100, 600, 105};
  EXPECT_EQ(SkewedPartitions(bytes, 5, 0), (std::vector<int>{3, 5}));
  EXPECT_EQ(SkewedPartitions(bytes, 5, 1000), (std::vector<int>{3}));
  EXPECT_TRUE(SkewedPartitions(std::vector<int64_t>(8, 100), 5, 0).empty());
}

}  // namespace
}  // namespace sluice
