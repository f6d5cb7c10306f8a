#include "sluice/base/process_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace sluice {
namespace {

TEST(ProcessMemory, RssGrowsWhenMemoryIsTouchedAndThePeakKeepsIt) {
  const int64_t before = ProcessRssBytes();
  ASSERT_GT(before, 0);
  constexpr size_t kBytes = size_t{64} << 20;
  std::vector<char> block(kBytes);
  std::memset(block.data(), 1, kBytes);
  const int64_t during = ProcessRssBytes();
  EXPECT_GE(during, before + static_cast<int64_t>(kBytes) * 9 / 10);
  // The kernel folds per-thread RSS counters into the high-water mark lazily (a few pages off).
  constexpr int64_t kSlack = int64_t{4} << 20;
  EXPECT_GE(ProcessPeakRssBytes(), during - kSlack);
  block = {};
  block.shrink_to_fit();
  EXPECT_GE(ProcessPeakRssBytes(), during - kSlack);  // the high-water mark does not fall
}

TEST(ProcessMemory, AllowanceIsAQuarterOverTheBudgetPlus64MiB) {
  EXPECT_EQ(RssAllowance(int64_t{256} << 20), int64_t{384} << 20);
  EXPECT_EQ(RssAllowance(int64_t{64} << 20), int64_t{144} << 20);
}

}  // namespace
}  // namespace sluice
