#include "sluice/base/thread_clock.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace sluice {
namespace {

void SpinFor(std::chrono::milliseconds cpu) {
  const int64_t until = ThreadCpuNs() + std::chrono::nanoseconds(cpu).count();
  std::atomic<uint64_t> sink{0};
  while (ThreadCpuNs() < until) sink.fetch_add(1, std::memory_order_relaxed);
}

TEST(ThreadClock, CpuTimeCountsWorkNotSleep) {
  const int64_t begin = ThreadCpuNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LT(ThreadCpuNs() - begin, 20'000'000);
  SpinFor(std::chrono::milliseconds(30));
  EXPECT_GE(ThreadCpuNs() - begin, 30'000'000);
}

TEST(ThreadClock, RunqueueWaitGrowsWhenThreadsShareOneCore) {
  if (ThreadRunqueueWaitNs() == 0 && ThreadRunqueueWaitNs() == 0) {
    GTEST_SKIP() << "the kernel does not report run queue waits";
  }
  // Three threads pinned to one core, each wanting 60 ms of CPU: each must wait while the
  // others run.
  const int cpu = sched_getcpu();
  ASSERT_GE(cpu, 0);
  int64_t waited[3] = {};
  std::thread threads[3];
  for (int i = 0; i < 3; ++i) {
    threads[i] = std::thread([&, i] {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
      const int64_t begin = ThreadRunqueueWaitNs();
      SpinFor(std::chrono::milliseconds(60));
      waited[i] = ThreadRunqueueWaitNs() - begin;
    });
  }
  for (std::thread& t : threads) t.join();
  // Sharing one core, 180 ms of work takes at least 180 ms; all but one thread's 60 ms of it
  // (and more, with time slices interleaved) is somebody's wait.
  EXPECT_GT(waited[0] + waited[1] + waited[2], 100'000'000);

  // A thread alone with nothing else runnable on its core hardly waits while it sleeps.
  const int64_t begin = ThreadRunqueueWaitNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_LT(ThreadRunqueueWaitNs() - begin, 20'000'000);
}

}  // namespace
}  // namespace sluice
