#include "sluice/jobs/compact/compact_memory.h"

#include <gtest/gtest.h>

namespace sluice::compact {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(CompactMemoryTest, SharesLeaveAQuarterForWhatNothingCounts) {
  for (int64_t budget : {16 * kMiB, 64 * kMiB, 256 * kMiB, 1024 * kMiB}) {
    CompactMemoryShares s = SplitCompactMemory(budget);
    EXPECT_GT(s.pipeline, 0) << budget;
    EXPECT_GT(s.columns, budget / 2) << budget;
    EXPECT_LE(s.pipeline + s.columns, budget / 4 * 3) << budget;
  }
  EXPECT_EQ(SplitCompactMemory(64 * kMiB).pipeline, 8 * kMiB);
  EXPECT_EQ(SplitCompactMemory(64 * kMiB).columns, 40 * kMiB);
  EXPECT_EQ(SplitCompactMemory(4096 * kMiB).pipeline, 64 * kMiB);
  EXPECT_EQ(SplitCompactMemory(64 * kMiB).whole_inputs, 0);
}

// Inputs on an object store are fetched whole per row group: three of the columns' five eighths
// go to them, and the quarter for what nothing counts stays.
TEST(CompactMemoryTest, RemoteInputsTakeThreeEighthsFromTheColumns) {
  for (int64_t budget : {16 * kMiB, 256 * kMiB, 1024 * kMiB}) {
    CompactMemoryShares s = SplitCompactMemory(budget, true);
    EXPECT_EQ(s.whole_inputs, budget / 8 * 3) << budget;
    EXPECT_EQ(s.columns, budget / 8 * 2) << budget;
    EXPECT_LE(s.pipeline + s.columns + s.whole_inputs, budget / 4 * 3) << budget;
  }
}

TEST(CompactMemoryTest, AColumnHoldsItsInputsAPieceOfItsOutputAndItsScratch) {
  const int64_t in = 100 * kMiB;
  const int64_t plain = ColumnWorkBytes(in, 0, 2 * kMiB);
  EXPECT_GE(plain, in + kOutputPieceBytes);
  // The output is not held whole: a large chunk holds little more than its inputs.
  EXPECT_LT(plain, in + in / 10);
  // Dictionaries add their decoded copies and the merged dictionary.
  EXPECT_GE(ColumnWorkBytes(in, kMiB, 2 * kMiB), plain + 2 * kMiB + 4 * kMiB);
  // Small columns hold little.
  EXPECT_LT(ColumnWorkBytes(64 << 10, 0, 2 * kMiB), 5 * kMiB);
}

}  // namespace
}  // namespace sluice::compact
