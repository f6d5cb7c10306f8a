#include "sluice/flow/verdict.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

StageReport Stage(std::string name, double busy, double bp, double idle, double waiting = 0) {
  StageReport s;
  s.name = std::move(name);
  s.times.busy_ms = busy * 1000;
  s.times.backpressured_ms = bp * 1000;
  s.times.idle_ms = idle * 1000;
  s.times.waiting_ms = waiting * 1000;
  return s;
}

TEST(VerdictTest, BottleneckIsFirstBusyStageBelowTheBackpressuredOnes) {
  Verdict v = ComputeVerdict({Stage("list", 0.05, 0.9, 0.05), Stage("footer", 0.1, 0.8, 0.1),
                              Stage("concat", 0.97, 0.0, 0.03), Stage("write", 0.2, 0, 0.8)});
  EXPECT_EQ(v.bottleneck, "concat");
  EXPECT_EQ(v.text,
            "bottleneck: concat (busy 97%), write starved 80% of the time, list backed up 90% "
            "of the time, footer backed up 80% of the time");
}

TEST(VerdictTest, WithoutBackpressureTheBusiestStageIsTheLimit) {
  Verdict v = ComputeVerdict(
      {Stage("source", 0.95, 0, 0.05), Stage("map", 0.1, 0, 0.9), Stage("sink", 0.05, 0, 0.95)});
  EXPECT_EQ(v.bottleneck, "source");
  ASSERT_EQ(v.starved.size(), 2u);
  EXPECT_EQ(v.starved[0].first, "map");
}

TEST(VerdictTest, WaitingForACoreIsNotTheStagesOwnWork) {
  // bin mostly waits for a core that concat keeps busy: concat is the limit.
  Verdict v = ComputeVerdict({Stage("read", 0.1, 0.8, 0.1), Stage("bin", 0.1, 0.1, 0.2, 0.6),
                              Stage("concat", 0.9, 0.05, 0.05)});
  EXPECT_EQ(v.bottleneck, "concat");
  EXPECT_NEAR(v.bottleneck_busy, 0.9, 1e-9);
}

TEST(VerdictTest, NoLimitWhenEverythingIdles) {
  Verdict v = ComputeVerdict({Stage("a", 0.1, 0, 0.9), Stage("b", 0.1, 0, 0.9)});
  EXPECT_EQ(v.bottleneck, "");
  EXPECT_NE(v.text.find("none"), std::string::npos);
}

}  // namespace
}  // namespace sluice
