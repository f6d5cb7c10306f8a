#include "sluice/base/memory_gate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "sluice/base/error.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(MemoryGateTest, HoldsWithinTheLimitAndGivesBackOnRelease) {
  MemoryGate gate(100);
  {
    MemoryGate::Hold a = gate.Acquire(60, CancellationToken());
    EXPECT_EQ(a.bytes(), 60);
    EXPECT_FALSE(gate.TryAcquire(41));
    std::optional<MemoryGate::Hold> b = gate.TryAcquire(40);
    ASSERT_TRUE(b);
    EXPECT_EQ(gate.used(), 100);
  }
  EXPECT_EQ(gate.used(), 0);
  EXPECT_EQ(gate.peak(), 100);
  EXPECT_EQ(gate.overdrafts(), 0);
}

TEST(MemoryGateTest, AcquireWaitsUntilAHoldIsReleased) {
  MemoryGate gate(100);
  MemoryGate::Hold first = gate.Acquire(70, CancellationToken());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    MemoryGate::Hold second = gate.Acquire(50, CancellationToken());
    got = true;
    EXPECT_LE(gate.used(), 100);
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got);
  first.Release();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(gate.used(), 0);
  EXPECT_EQ(gate.peak(), 70);
}

TEST(MemoryGateTest, ShrinkingWakesWaiters) {
  MemoryGate gate(100);
  MemoryGate::Hold first = gate.Acquire(90, CancellationToken());
  std::thread waiter([&] { MemoryGate::Hold second = gate.Acquire(50, CancellationToken()); });
  std::this_thread::sleep_for(20ms);
  first.Resize(40);
  waiter.join();
  EXPECT_EQ(gate.used(), 40);
}

TEST(MemoryGateTest, TooLargeAloneGoesOverTheLimitAndIsCounted) {
  MemoryGate gate(100);
  MemoryGate::Hold big = gate.Acquire(250, CancellationToken());
  EXPECT_EQ(big.bytes(), 250);
  EXPECT_EQ(gate.used(), 250);
  EXPECT_EQ(gate.overdrafts(), 1);
  big.Release();
  EXPECT_EQ(gate.used(), 0);
}

TEST(MemoryGateTest, GrowthPastTheLimitIsCountedNotRefused) {
  MemoryGate gate(100);
  MemoryGate::Hold a = gate.Acquire(60, CancellationToken());
  MemoryGate::Hold b = gate.Acquire(30, CancellationToken());
  b.Resize(35);  // fits
  EXPECT_EQ(gate.overdrafts(), 0);
  b.Resize(70);  // already allocated: counted past the limit
  EXPECT_EQ(b.bytes(), 70);
  EXPECT_EQ(gate.used(), 130);
  EXPECT_EQ(gate.overdrafts(), 1);
  b.Resize(10);
  EXPECT_EQ(gate.used(), 70);
}

// A hold shrinks even while the gate stays over its limit (a join's table is charged its bound
// first, then what it really holds, while another task runs over the budget).
TEST(MemoryGateTest, ShrinkingSucceedsWhileTheGateIsOverdrawn) {
  MemoryGate gate(100);
  MemoryGate::Hold big = gate.Acquire(250, CancellationToken());
  MemoryGate::Hold other = gate.Acquire(0, CancellationToken());
  big.Resize(200);
  EXPECT_EQ(big.bytes(), 200);
  EXPECT_EQ(gate.used(), 200);
}

TEST(MemoryGateTest, AbsorbTakesOverBytesWithoutReleasingThem) {
  MemoryGate gate(100);
  MemoryGate::Hold a = gate.Acquire(30, CancellationToken());
  MemoryGate::Hold b = gate.Acquire(40, CancellationToken());
  a.Absorb(std::move(b));
  EXPECT_EQ(a.bytes(), 70);
  EXPECT_EQ(gate.used(), 70);
  MemoryGate::Hold empty;
  empty.Absorb(std::move(a));
  EXPECT_EQ(empty.bytes(), 70);
  empty.Release();
  EXPECT_EQ(gate.used(), 0);
}

TEST(MemoryGateTest, CancellationEndsAWait) {
  MemoryGate gate(100);
  MemoryGate::Hold first = gate.Acquire(100, CancellationToken());
  CancellationSource source;
  std::thread waiter([&] { EXPECT_THROW(gate.Acquire(10, source.token()), Error); });
  std::this_thread::sleep_for(20ms);
  source.Cancel("stop");
  waiter.join();
  EXPECT_EQ(gate.used(), 100);
}

TEST(MemoryGateTest, ManyThreadsNeverHoldMoreThanTheLimit) {
  MemoryGate gate(1000);
  std::atomic<int64_t> held{0};
  std::atomic<int64_t> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int64_t bytes = 100 + 37 * ((t + i) % 20);
        MemoryGate::Hold h = gate.Acquire(bytes, CancellationToken());
        const int64_t now = held += bytes;
        int64_t seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        held -= bytes;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(most.load(), 1000);
  EXPECT_LE(gate.peak(), 1000);
  EXPECT_EQ(gate.used(), 0);
  EXPECT_EQ(gate.overdrafts(), 0);
}

}  // namespace
}  // namespace sluice
