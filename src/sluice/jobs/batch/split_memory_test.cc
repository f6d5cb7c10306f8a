#include "sluice/jobs/batch/split_memory.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sluice::batch {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(SplitMemoryTest, WritersReadsAndItemsShareTheBudget) {
  // 64 chunks of one input, row groups of about 6 MiB uncompressed (20 MiB to read).
  for (int64_t budget : {64 * kMiB, 256 * kMiB, 1024 * kMiB}) {
    SplitMemoryPlan plan = PlanSplitMemory(budget, 64, 20 * kMiB);
    SCOPED_TRACE(budget);
    EXPECT_LE(plan.writers, std::max(budget / 4, 24 * kMiB));
    EXPECT_EQ(plan.writers,
              64 * (kWriterFixedBytes + kWriterBytesPerRowGroupByte * plan.row_group_bytes));
    EXPECT_EQ(plan.reads_bytes, plan.reads * 20 * kMiB);
    EXPECT_EQ(plan.writers + plan.reads_bytes + plan.pipeline, budget);
    EXPECT_GE(plan.pipeline, budget / 4);
  }
  // Small budgets read one unit at a time, larger ones two.
  EXPECT_EQ(PlanSplitMemory(64 * kMiB, 64, 25 * kMiB).reads, 1);
  EXPECT_EQ(PlanSplitMemory(256 * kMiB, 64, 25 * kMiB).reads, 2);
  // At 64 MiB, 64 writers of the smallest row groups take more than a quarter; at 256 MiB a
  // quarter gives each 1 MiB.
  EXPECT_EQ(PlanSplitMemory(64 * kMiB, 64, 25 * kMiB).row_group_bytes, kMinWriterRowGroupBytes);
  EXPECT_EQ(PlanSplitMemory(64 * kMiB, 64, 25 * kMiB).writers, 24 * kMiB);
  EXPECT_EQ(PlanSplitMemory(256 * kMiB, 64, 25 * kMiB).row_group_bytes,
            (kMiB - kWriterFixedBytes) / kWriterBytesPerRowGroupByte);
}

TEST(SplitMemoryTest, RowGroupsStayWithinTheirBounds) {
  EXPECT_EQ(PlanSplitMemory(64 * 1024 * kMiB, 1, 0).row_group_bytes, kMaxWriterRowGroupBytes);
  // Very many chunks: the writers' floor passes their quarter, the executor keeps its minimum.
  SplitMemoryPlan crowded = PlanSplitMemory(64 * kMiB, 4096, 25 * kMiB);
  EXPECT_EQ(crowded.row_group_bytes, kMinWriterRowGroupBytes);
  EXPECT_GT(crowded.writers, 64 * kMiB);
  EXPECT_EQ(crowded.writers,
            4096 * (kWriterFixedBytes + kWriterBytesPerRowGroupByte * kMinWriterRowGroupBytes));
  EXPECT_EQ(crowded.pipeline, kMinPipelineBytes);
}

TEST(SplitMemoryTest, AnOversizedReadEstimateDoesNotStarveTheItems) {
  SplitMemoryPlan plan = PlanSplitMemory(64 * kMiB, 8, 10 * 1024 * kMiB);
  EXPECT_EQ(plan.reads, 1);
  EXPECT_GE(plan.pipeline, (64 * kMiB - plan.writers) / 2);
}

}  // namespace
}  // namespace sluice::batch
