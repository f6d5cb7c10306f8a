#include "sluice/base/large_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>

namespace sluice {
namespace {

TEST(LargePages, SmallAndLargeBlocksAreAlignedAndUsable) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{100}, kLargeAllocationBytes - 1,
                       kLargeAllocationBytes, kLargeAllocationBytes + 12345}) {
    auto* data = static_cast<uint8_t*>(AllocateLarge(bytes));
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u) << bytes;
    if (bytes >= kLargeAllocationBytes) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % (size_t{2} << 20), 0u) << bytes;
    }
    std::memset(data, 0xAB, bytes);
    if (bytes > 0) {
      EXPECT_EQ(data[0], 0xAB);
      EXPECT_EQ(data[bytes - 1], 0xAB);
    }
    FreeLarge(data, bytes);
  }
}

TEST(LargePages, VectorGrowsAcrossTheThresholdKeepingItsValues) {
  LargeVector<int64_t> values;
  const int64_t n = static_cast<int64_t>(3 * kLargeAllocationBytes / sizeof(int64_t));
  for (int64_t i = 0; i < n; ++i) values.push_back(i);
  EXPECT_EQ(std::accumulate(values.begin(), values.end(), int64_t{0}), n * (n - 1) / 2);
  values.resize(10);
  values.shrink_to_fit();
  EXPECT_EQ(values.back(), 9);
}

}  // namespace
}  // namespace sluice
