#include "sluice/jobs/shuffle/reduce_plan.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice::shuffle {
namespace {

// `maps` map outputs of `slices` slices of 10 bytes each, slice `hot` holding `hot_bytes` in each.
MapSliceBytes Maps(int maps, int slices, int hot = -1, int64_t hot_bytes = 0) {
  MapSliceBytes bytes(static_cast<size_t>(maps), std::vector<int64_t>(slices, 10));
  if (hot >= 0) {
    for (auto& map : bytes) map[static_cast<size_t>(hot)] = hot_bytes;
  }
  return bytes;
}

// Every slice is read by some task, in order; tasks of one slice only where it was split.
void ExpectSlicesInOrder(const std::vector<ReduceTask>& tasks, int slices) {
  int next = 0;
  for (const ReduceTask& t : tasks) {
    if (t.slices.begin == next - 1 && t.slices.end == next) continue;  // another split
    EXPECT_EQ(t.slices.begin, next);
    next = t.slices.end;
  }
  EXPECT_EQ(next, slices);
}

std::vector<ReduceTask> TasksOf(const std::vector<ReduceTask>& tasks, int slice) {
  std::vector<ReduceTask> out;
  for (const ReduceTask& t : tasks) {
    if (t.slices.begin == slice && t.slices.end == slice + 1) out.push_back(t);
  }
  return out;
}

TEST(ReducePlanTest, ASkewedSliceOfAnInnerJoinSplitsIntoRangesOfItsMapOutputs) {
  const std::vector<ReduceTask> tasks =
      PlanReduceTasks(8, Maps(4, 8, /*hot=*/3, 100), Maps(2, 8), SplittableSidesOf("inner"),
                      /*advisory_bytes=*/100, 1, 8);
  ExpectSlicesInOrder(tasks, 8);
  const std::vector<ReduceTask> hot = TasksOf(tasks, 3);
  ASSERT_EQ(hot.size(), 4u);  // 400 bytes on the left, ~100 a task: a map output each
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(hot[static_cast<size_t>(i)].left_maps, (MapRange{i, i + 1}));
    EXPECT_FALSE(hot[static_cast<size_t>(i)].right_maps);  // the right's whole slice each
  }
  for (const ReduceTask& t : tasks) {
    if (t.slices.begin != 3) {
      EXPECT_FALSE(t.left_maps || t.right_maps);
    }
  }
}

TEST(ReducePlanTest, AnEvenIndexDoesNotSplit) {
  const std::vector<ReduceTask> tasks =
      PlanReduceTasks(8, Maps(4, 8), Maps(2, 8), SplittableSidesOf("inner"), 100, 1, 8);
  ExpectSlicesInOrder(tasks, 8);
  for (const ReduceTask& t : tasks) EXPECT_FALSE(t.left_maps || t.right_maps);
  EXPECT_EQ(
      PlanReduceTasks(8, Maps(4, 8), Maps(2, 8), SplittableSidesOf("inner"), 120, 1, 8).size(),
      4u);  // 60 bytes a slice: two a task
}

TEST(ReducePlanTest, AFullJoinAndAGroupByDoNotSplit) {
  for (const auto& [right, sides] : {std::pair{Maps(2, 8), SplittableSidesOf("full")},
                                     std::pair{MapSliceBytes{}, SplittableSides{}}}) {
    const std::vector<ReduceTask> tasks =
        PlanReduceTasks(8, Maps(4, 8, 3, 100), right, sides, 100, 1, 8);
    ExpectSlicesInOrder(tasks, 8);
    EXPECT_EQ(TasksOf(tasks, 3).size(), 1u);
    for (const ReduceTask& t : tasks) EXPECT_FALSE(t.left_maps || t.right_maps);
  }
}

TEST(ReducePlanTest, OnlyTheSideTheJoinKindAllowsIsSplit) {
  // The skew is on the right: a left join must keep its right slice whole, a right join splits it.
  EXPECT_EQ(TasksOf(PlanReduceTasks(8, Maps(2, 8), Maps(4, 8, 5, 100), SplittableSidesOf("left"),
                                    100, 1, 8),
                    5)
                .size(),
            1u);
  const std::vector<ReduceTask> right = TasksOf(
      PlanReduceTasks(8, Maps(2, 8), Maps(4, 8, 5, 100), SplittableSidesOf("right"), 100, 1, 8), 5);
  ASSERT_EQ(right.size(), 4u);
  EXPECT_EQ(right[2].right_maps, (MapRange{2, 3}));
  EXPECT_FALSE(right[2].left_maps);
}

TEST(ReducePlanTest, AnInnerJoinSkewedOnBothSidesPairsEveryRangeOfOneWithEveryRangeOfTheOther) {
  const std::vector<ReduceTask> hot =
      TasksOf(PlanReduceTasks(8, Maps(2, 8, 1, 100), Maps(3, 8, 1, 100), SplittableSidesOf("inner"),
                              100, 1, 8),
              1);
  ASSERT_EQ(hot.size(), 6u);
  EXPECT_EQ(hot[0].left_maps, (MapRange{0, 1}));
  EXPECT_EQ(hot[0].right_maps, (MapRange{0, 1}));
  EXPECT_EQ(hot[5].left_maps, (MapRange{1, 2}));
  EXPECT_EQ(hot[5].right_maps, (MapRange{2, 3}));
}

TEST(ReducePlanTest, ASkewedSliceInsideACoalescedRangeIsCutOutOfIt) {
  // max 2 tasks: the slices coalesce into two ranges, and the hot slice leaves its own.
  const std::vector<ReduceTask> tasks =
      PlanReduceTasks(8, Maps(4, 8, 3, 100), Maps(2, 8), SplittableSidesOf("inner"), 100, 1, 2);
  ExpectSlicesInOrder(tasks, 8);
  EXPECT_EQ(TasksOf(tasks, 3).size(), 4u);
}

TEST(ReducePlanTest, DefinitionsRoundTrip) {
  const ReduceTask task{{3, 4}, MapRange{1, 2}, std::nullopt};
  const ReduceTask back = ReduceTask::FromJson(task.ToJson());
  EXPECT_EQ(back.slices.begin, 3);
  EXPECT_EQ(back.slices.end, 4);
  EXPECT_EQ(back.left_maps, (MapRange{1, 2}));
  EXPECT_FALSE(back.right_maps);
  EXPECT_FALSE(ReduceTask::FromJson(R"({"first":0,"end":2})").left_maps);
  EXPECT_THROW(ReduceTask::FromJson(R"({"first":0})"), Error);
}

}  // namespace
}  // namespace sluice::shuffle
