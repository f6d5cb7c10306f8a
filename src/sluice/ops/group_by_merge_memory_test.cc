#include "sluice/ops/group_by_merge_memory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "sluice/base/error.h"

namespace sluice {
namespace {

// Waits in place, as a pipeline task's AwaitInput does, counting the waits.
struct CountingAwait {
  std::atomic<int> calls{0};
  GroupByMergeMemory::Await Get() {
    return [this](const std::function<bool()>& wait) {
      ++calls;
      return wait();
    };
  }
};

TEST(GroupByMergeMemoryTest, GrowsWithinTheLimitAtOnceAndShrinks) {
  GroupByMergeMemory memory(100, CancellationToken());
  CountingAwait await;
  GroupByMergeMemory::Share a(memory);
  EXPECT_TRUE(a.Grow(60, await.Get()));
  EXPECT_TRUE(a.Grow(40, await.Get()));  // holds 60 already
  EXPECT_EQ(a.bytes(), 60);
  a.Shrink(10);
  EXPECT_EQ(a.bytes(), 10);
  EXPECT_TRUE(a.Grow(100, await.Get()));
  EXPECT_EQ(await.calls, 0);
  EXPECT_EQ(memory.peak(), 100);
  EXPECT_EQ(memory.waits(), 0);
}

// Alone, a task that does not fit cannot wait for anybody: it is told to make its work smaller.
TEST(GroupByMergeMemoryTest, AloneATaskThatDoesNotFitIsRefusedAtOnce) {
  GroupByMergeMemory memory(100, CancellationToken());
  CountingAwait await;
  GroupByMergeMemory::Share a(memory);
  EXPECT_TRUE(a.Grow(70, await.Get()));
  EXPECT_FALSE(a.Grow(101, await.Get()));
  EXPECT_EQ(a.bytes(), 70);  // unchanged
  EXPECT_EQ(memory.refusals(), 1);
  a.GrowOverLimit(120);  // the last resort is counted over the limit
  EXPECT_EQ(a.bytes(), 120);
  EXPECT_EQ(memory.peak(), 120);
}

// A task denied memory while another works waits until that one shrinks, then gets it; the
// budget is never exceeded.
TEST(GroupByMergeMemoryTest, ADeniedTaskWaitsForAnotherToRelease) {
  GroupByMergeMemory memory(100, CancellationToken());
  CountingAwait await;
  GroupByMergeMemory::Share a(memory);
  ASSERT_TRUE(a.Grow(80, await.Get()));
  std::atomic<bool> granted{false};
  std::thread waiter([&] {
    GroupByMergeMemory::Share b(memory);
    granted = b.Grow(50, await.Get());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(granted);
  a.Shrink(30);
  waiter.join();
  EXPECT_TRUE(granted);
  EXPECT_EQ(await.calls, 1);
  EXPECT_EQ(memory.waits(), 1);
  EXPECT_LE(memory.peak(), 100);
}

// Two tasks that each wait for the other: one is refused (it will split and release), and the
// other then gets its memory.
TEST(GroupByMergeMemoryTest, TasksWaitingForEachOtherDoNotDeadlock) {
  GroupByMergeMemory memory(100, CancellationToken());
  CountingAwait await;
  std::atomic<int> refused{0};
  std::atomic<int> granted{0};
  auto task = [&] {
    GroupByMergeMemory::Share share(memory);
    if (!share.Grow(45, await.Get())) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (share.Grow(90, await.Get())) {
      ++granted;
    } else {
      ++refused;
      share.Shrink(0);  // as a merge drops its pass to split it
    }
  };
  std::thread t1(task);
  std::thread t2(task);
  t1.join();
  t2.join();
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(granted, 1);
  EXPECT_LE(memory.peak(), 100);
}

TEST(GroupByMergeMemoryTest, CancellationEndsAWait) {
  CancellationSource cancel;
  GroupByMergeMemory memory(100, cancel.token());
  CountingAwait await;
  GroupByMergeMemory::Share a(memory);
  ASSERT_TRUE(a.Grow(80, await.Get()));
  std::atomic<bool> cancelled{false};
  std::thread waiter([&] {
    GroupByMergeMemory::Share b(memory);
    try {
      b.Grow(50, await.Get());
    } catch (const Error& e) {
      cancelled = e.kind() == ErrorKind::kCancelled;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  cancel.Cancel("test");
  waiter.join();
  EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace sluice
