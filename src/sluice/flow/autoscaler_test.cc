#include "sluice/flow/autoscaler.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

StageTimes Times(double busy, double bp, double idle) {
  StageTimes t;
  t.busy_ms = busy;
  t.backpressured_ms = bp;
  t.idle_ms = idle;
  return t;
}

TEST(AutoscalerTest, PinnedStaysPinned) {
  EXPECT_EQ(NextConcurrency({.current = 2,
                             .min = 2,
                             .max = 2,
                             .budget_cap = 100,
                             .ns_per_input = 1e6,
                             .backlog = 1000}),
            2);
}

TEST(AutoscalerTest, GrowsInStepsLargerThanOneWhenBacklogIsLarge) {
  // 5 ms per item = 200 items/s per task; 1000 queued -> about 6 tasks, reached by doubling.
  ScaleSignals in{.current = 1,
                  .min = 1,
                  .max = 64,
                  .budget_cap = 1000,
                  .ns_per_input = 5e6,
                  .arrival_rate = 0,
                  .backlog = 1000,
                  .window = Times(200, 0, 0)};
  EXPECT_EQ(NextConcurrency(in), 2);
  in.current = 4;
  EXPECT_EQ(NextConcurrency(in), 6);
}

TEST(AutoscalerTest, StepsByOneWhenBacklogIsSmall) {
  int next = NextConcurrency({.current = 4,
                              .min = 1,
                              .max = 64,
                              .budget_cap = 1000,
                              .ns_per_input = 5e6,
                              .arrival_rate = 1500,
                              .backlog = 3,
                              .window = Times(800, 0, 0)});
  EXPECT_EQ(next, 5);
}

TEST(AutoscalerTest, NeverPastMaxOrBudget) {
  ScaleSignals in{.current = 6,
                  .min = 1,
                  .max = 8,
                  .budget_cap = 100,
                  .ns_per_input = 1e7,
                  .backlog = 100000,
                  .window = Times(400, 0, 0)};
  EXPECT_EQ(NextConcurrency(in), 8);
  in.budget_cap = 3;
  EXPECT_EQ(NextConcurrency(in), 3);
}

TEST(AutoscalerTest, AnIoStageDoesNotGrowWhileBackpressuredAndShrinksWhenMostlySo) {
  ScaleSignals in{.current = 8,
                  .min = 1,
                  .max = 64,
                  .budget_cap = 1000,
                  .ns_per_input = 5e6,
                  .backlog = 1000,
                  .window = Times(850, 150, 0),
                  .io = true};
  EXPECT_EQ(NextConcurrency(in), 8);  // 15% backpressured: hold
  in.window = Times(600, 400, 0);
  EXPECT_EQ(NextConcurrency(in), 7);  // 40%: one fewer
  in.window = Times(300, 700, 0);
  EXPECT_EQ(NextConcurrency(in), 6);
}

TEST(AutoscalerTest, AnIoStageDoesNotShrinkAgainWhileItsLastShrinkSettles) {
  ScaleSignals in{.current = 8,
                  .min = 1,
                  .max = 64,
                  .budget_cap = 1000,
                  .ns_per_input = 5e6,
                  .backlog = 1000,
                  .window = Times(300, 700, 0),
                  .io = true,
                  .settling = true};
  EXPECT_EQ(NextConcurrency(in), 8);
  in.settling = false;
  EXPECT_EQ(NextConcurrency(in), 6);
}

TEST(AutoscalerTest, StepsByOneWhileThePipelineFillsWhateverTheBacklog) {
  ScaleSignals in{.current = 4,
                  .min = 1,
                  .max = 64,
                  .budget_cap = 1000,
                  .ns_per_input = 5e6,
                  .backlog = 1000,
                  .window = Times(200, 0, 0),
                  .io = true,
                  .filling = true};
  EXPECT_EQ(NextConcurrency(in), 5);
  in.filling = false;
  EXPECT_EQ(NextConcurrency(in), 8);
}

TEST(AutoscalerTest, ACpuStageHoldsItsWidthWhenBackpressured) {
  // Its blocked tasks give their cores up; shrinking would leave it short once the items
  // downstream get lighter again.
  ScaleSignals in{.current = 2,
                  .min = 1,
                  .max = 2,
                  .budget_cap = 1000,
                  .ns_per_input = 5e6,
                  .backlog = 10,
                  .window = Times(300, 700, 0)};
  EXPECT_EQ(NextConcurrency(in), 2);
  in.window = Times(600, 400, 0);
  EXPECT_EQ(NextConcurrency(in), 2);
  // Starved, it still shrinks.
  in.current = 4;
  in.max = 4;
  in.backlog = 0;
  in.window = Times(100, 0, 900);
  EXPECT_LT(NextConcurrency(in), 4);
}

TEST(AutoscalerTest, ShrinksWhenStarved) {
  int next = NextConcurrency({.current = 16,
                              .min = 1,
                              .max = 64,
                              .budget_cap = 1000,
                              .ns_per_input = 1e6,
                              .arrival_rate = 100,
                              .backlog = 0,
                              .window = Times(100, 0, 3100)});
  EXPECT_LT(next, 16);
  EXPECT_GE(next, 1);
}

TEST(AutoscalerTest, GrowsByOnePastWhereItsOutputBackedUp) {
  // A cheap upstream keeps 1000 items queued whatever downstream absorbs. Without a record of
  // backing up, that backlog doubles the stage at every clean window.
  ScaleSignals in{.current = 4,
                  .min = 1,
                  .max = 32,
                  .budget_cap = 100,
                  .ns_per_input = 4e6,
                  .arrival_rate = 1000,
                  .backlog = 1000,
                  .window = Times(1000, 0, 0),
                  .io = true};
  EXPECT_EQ(NextConcurrency(in), 8);
  // Its output backed up at 5: from 4, one more; from 5 on, one at a time.
  in.backed_up_at = 5;
  EXPECT_EQ(NextConcurrency(in), 5);
  in.current = 5;
  EXPECT_EQ(NextConcurrency(in), 6);
  // Below an old, higher mark it still doubles up to just under it.
  in.current = 3;
  in.backed_up_at = 16;
  EXPECT_EQ(NextConcurrency(in), 6);
  in.current = 12;
  EXPECT_EQ(NextConcurrency(in), 15);
  // And it still shrinks when backed up now.
  in.current = 8;
  in.window = Times(600, 400, 0);
  EXPECT_EQ(NextConcurrency(in), 7);
}

TEST(AutoscalerTest, DoesNotGrowWhileAStageDownstreamIsSaturated) {
  // The same backlog that grows the stage on its own holds it while the stage below is the
  // bottleneck; it may still shrink.
  ScaleSignals in{.current = 4,
                  .min = 1,
                  .max = 32,
                  .budget_cap = 100,
                  .ns_per_input = 4e6,
                  .arrival_rate = 1000,
                  .backlog = 1000,
                  .window = Times(1000, 0, 0),
                  .io = true,
                  .downstream_saturated = true};
  EXPECT_EQ(NextConcurrency(in), 4);
  in.window = Times(600, 400, 0);
  EXPECT_EQ(NextConcurrency(in), 3);
  in.window = Times(1000, 0, 0);
  in.downstream_saturated = false;
  EXPECT_EQ(NextConcurrency(in), 8);
}

TEST(AutoscalerTest, SaturatedMeansBusyNinetyPercentWithMoreQueuedThanRunning) {
  EXPECT_TRUE(Saturated(Times(950, 0, 50), 3, 2));
  EXPECT_FALSE(Saturated(Times(950, 0, 50), 2, 2));
  EXPECT_FALSE(Saturated(Times(850, 0, 150), 30, 2));
  EXPECT_FALSE(Saturated(Times(500, 500, 0), 30, 2));
}

TEST(AutoscalerTest, BackedUpMeansBackpressuredMoreThanThirtyPercent) {
  EXPECT_FALSE(BackedUp(Times(750, 250, 0)));
  EXPECT_TRUE(BackedUp(Times(650, 350, 0)));
  EXPECT_FALSE(BackedUp(StageTimes{}));
}

TEST(AutoscalerTest, ASaturatedStageWithWorkQueuedGetsOneMoreWhateverTheEstimate) {
  // The estimate (1 ms per item, from lighter items) says one task covers 200 arrivals a second
  // five times over, but the one task was busy nearly the whole window and work queues up.
  ScaleSignals in{.current = 1,
                  .min = 1,
                  .max = 4,
                  .budget_cap = 100,
                  .ns_per_input = 1e6,
                  .arrival_rate = 200,
                  .backlog = 2,
                  .window = Times(195, 0, 5)};
  EXPECT_EQ(NextConcurrency(in), 2);
  // Busy but nothing queued beyond what it runs: no more.
  in.backlog = 1;
  EXPECT_EQ(NextConcurrency(in), 1);
  // Queued, but not saturated: the estimate decides.
  in.backlog = 2;
  in.window = Times(150, 0, 50);
  EXPECT_EQ(NextConcurrency(in), 1);
}

TEST(AutoscalerTest, DoesNotShrinkAStarvedStageWhileThePipelineIsFilling) {
  // The run's first windows: nothing has reached the stage yet.
  ScaleSignals in{.current = 2,
                  .min = 1,
                  .max = 2,
                  .budget_cap = 100,
                  .ns_per_input = 4e6,
                  .arrival_rate = 17,
                  .backlog = 0,
                  .window = Times(8, 0, 92),
                  .filling = true};
  EXPECT_EQ(NextConcurrency(in), 2);
  in.filling = false;
  EXPECT_EQ(NextConcurrency(in), 1);
}

TEST(AutoscalerTest, ProbesUpwardBeforeAnyTaskFinished) {
  EXPECT_EQ(NextConcurrency({.current = 1, .min = 1, .max = 8, .budget_cap = 8, .backlog = 10}), 2);
  EXPECT_EQ(NextConcurrency({.current = 1, .min = 1, .max = 8, .budget_cap = 8, .backlog = 0}), 1);
}

}  // namespace
}  // namespace sluice
