#include "sluice/base/memory_budget.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace sluice {
namespace {

TEST(MemoryBudgetTest, ReservesWithinLimitAndReleasesOnDestruction) {
  MemoryBudget budget(100);
  {
    auto a = budget.TryReserve(60);
    ASSERT_TRUE(a);
    EXPECT_FALSE(budget.TryReserve(41));
    auto b = budget.TryReserve(40);
    ASSERT_TRUE(b);
    EXPECT_EQ(budget.used(), 100);
  }
  EXPECT_EQ(budget.used(), 0);
  EXPECT_EQ(budget.peak(), 100);
}

TEST(MemoryBudgetTest, AccountSharesAreProtectedFromOthers) {
  MemoryBudget budget(100);
  MemoryAccount* upstream = budget.CreateAccount("upstream", 20);
  MemoryAccount* downstream = budget.CreateAccount("downstream", 30);
  // Upstream may use its 20 plus the 50 shared, never the downstream share.
  auto u1 = budget.TryReserve(70, upstream);
  ASSERT_TRUE(u1);
  EXPECT_FALSE(budget.TryReserve(1, upstream));
  auto d = budget.TryReserve(30, downstream);
  ASSERT_TRUE(d);
  EXPECT_FALSE(budget.TryReserve(1, downstream));
  EXPECT_EQ(budget.used(), 100);
  EXPECT_EQ(budget.Available(downstream), 0);
}

TEST(MemoryBudgetTest, ResizeAndTransfer) {
  MemoryBudget budget(100);
  MemoryAccount* a = budget.CreateAccount("a", 50);
  MemoryAccount* b = budget.CreateAccount("b", 10);
  auto r = budget.TryReserve(40, a);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->TryResize(90));  // 50 own + 40 shared
  EXPECT_FALSE(r->TryResize(91));
  EXPECT_FALSE(r->TryTransfer(b));  // b has 10 own + 40 shared = 50 < 90
  EXPECT_TRUE(r->TryResize(45));
  EXPECT_TRUE(r->TryTransfer(b));
  EXPECT_EQ(r->account(), b);
  EXPECT_EQ(b->used(), 45);
  EXPECT_EQ(a->used(), 0);
  EXPECT_EQ(budget.used(), 45);
}

// A shrink must succeed while the budget is overdrawn: callers that shrink and then overdraw
// the difference would otherwise overdraw a negative amount.
TEST(MemoryBudgetTest, ShrinkingSucceedsWhileOverdrawn) {
  MemoryBudget budget(100);
  MemoryAccount* a = budget.CreateAccount("a", 10);
  auto r = budget.TryReserve(60, a);
  ASSERT_TRUE(r);
  Reservation over = budget.ReserveOverLimit(80);
  EXPECT_GT(budget.used(), budget.limit());
  EXPECT_TRUE(r->TryResize(30));
  EXPECT_EQ(r->bytes(), 30);
  EXPECT_EQ(budget.used(), 110);
  EXPECT_FALSE(r->TryResize(31));
}

TEST(MemoryBudgetTest, OverLimitIsCountedAndTracked) {
  MemoryBudget budget(10);
  Reservation big = budget.ReserveOverLimit(25);
  EXPECT_EQ(budget.overdrafts(), 1);
  EXPECT_EQ(budget.peak(), 25);
  big.Release();
  EXPECT_EQ(budget.used(), 0);
}

TEST(MemoryBudgetTest, SharesCannotBeCutBelowWhatIsInUse) {
  MemoryBudget budget(100);
  MemoryAccount* a = budget.CreateAccount("a", 10);
  auto r = budget.TryReserve(100, a);
  ASSERT_TRUE(r);
  MemoryAccount* late = budget.CreateAccount("late", 50);
  EXPECT_EQ(late->reserved(), 0);  // nothing unreserved is free
  r->Release();
  EXPECT_TRUE(budget.TrySetReserved(late, 50));
  EXPECT_EQ(budget.Available(a), 50);
}

TEST(MemoryBudgetTest, ConcurrentReservationsNeverExceedLimit) {
  MemoryBudget budget(1000);
  std::vector<MemoryAccount*> accounts;
  for (int i = 0; i < 4; ++i) accounts.push_back(budget.CreateAccount("s", 100));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<Reservation> held;
      for (int i = 0; i < 20000; ++i) {
        if (held.size() > 8 || (rng() % 3 == 0 && !held.empty())) {
          held.erase(held.begin() + rng() % held.size());
        } else if (auto r = budget.TryReserve(1 + rng() % 120, accounts[rng() % 4])) {
          held.push_back(std::move(*r));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(budget.peak(), 1000);
  EXPECT_EQ(budget.used(), 0);
}

}  // namespace
}  // namespace sluice
