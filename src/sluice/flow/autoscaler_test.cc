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

TEST(AutoscalerTest, DoesNotGrowWhileBackpressuredAndShrinksWhenMostlySo) {
  ScaleSignals in{.current = 8,
                  .min = 1,
                  .max = 64,
                  .budget_cap = 1000,
                  .ns_per_input = 5e6,
                  .backlog = 1000,
                  .window = Times(850, 150, 0)};
  EXPECT_EQ(NextConcurrency(in), 8);  // 15% backpressured: hold
  in.window = Times(600, 400, 0);
  EXPECT_EQ(NextConcurrency(in), 7);  // 40%: one fewer
  in.window = Times(300, 700, 0);
  EXPECT_EQ(NextConcurrency(in), 6);
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

TEST(AutoscalerTest, ProbesUpwardBeforeAnyTaskFinished) {
  EXPECT_EQ(NextConcurrency({.current = 1, .min = 1, .max = 8, .budget_cap = 8, .backlog = 10}), 2);
  EXPECT_EQ(NextConcurrency({.current = 1, .min = 1, .max = 8, .budget_cap = 8, .backlog = 0}), 1);
}

}  // namespace
}  // namespace sluice
