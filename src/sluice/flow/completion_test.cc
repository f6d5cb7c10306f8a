#include "sluice/flow/completion.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "sluice/base/error.h"

namespace sluice {
namespace {

std::exception_ptr DataError(const std::string& message) {
  return std::make_exception_ptr(InvalidData("{}", message));
}

// The error Wait throws, as (kind, message); fails the test when Wait returns.
template <typename T>
std::pair<ErrorKind, std::string> WaitError(Completion<T>& completion,
                                            const CancellationToken& cancel = {}) {
  try {
    completion.Wait(cancel);
  } catch (const Error& e) {
    return {e.kind(), e.message()};
  }
  ADD_FAILURE() << "Wait returned instead of throwing";
  return {ErrorKind::kInternal, ""};
}

TEST(CompletionTest, WaitReturnsTheValue) {
  Completion<std::string> c;
  EXPECT_TRUE(c.Succeed("rows 42"));
  EXPECT_FALSE(c.failed());
  EXPECT_EQ(c.Wait(), "rows 42");
  EXPECT_EQ(c.Wait(), "rows 42");  // a copy each time: several waiters may read it
}

TEST(CompletionTest, FirstFailureWins) {
  Completion<int> c;
  EXPECT_TRUE(c.Fail(DataError("first")));
  EXPECT_TRUE(c.failed());
  EXPECT_FALSE(c.Fail(DataError("second")));
  EXPECT_FALSE(c.Succeed(7));
  EXPECT_EQ(WaitError(c), std::make_pair(ErrorKind::kInvalidData, std::string("first")));
}

TEST(CompletionTest, SuccessIsFinal) {
  Completion<int> c;
  EXPECT_TRUE(c.Succeed(7));
  EXPECT_FALSE(c.Succeed(8));
  EXPECT_FALSE(c.Fail(DataError("late")));
  EXPECT_FALSE(c.failed());
  EXPECT_EQ(c.Wait(), 7);
}

TEST(CompletionTest, VoidCompletion) {
  Completion<> done;
  EXPECT_TRUE(done.Succeed());
  EXPECT_FALSE(done.Succeed());
  EXPECT_NO_THROW(done.Wait());

  Completion<> failed;
  EXPECT_TRUE(failed.Fail(DataError("bad footer")));
  EXPECT_FALSE(failed.Succeed());
  EXPECT_EQ(WaitError(failed).second, "bad footer");
}

TEST(CompletionTest, WaitBlocksUntilSettledElsewhere) {
  Completion<int> c;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    EXPECT_EQ(c.Wait(), 5);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(returned.load());
  c.Succeed(5);
  waiter.join();
  EXPECT_TRUE(returned.load());
}

TEST(CompletionTest, FailureWakesEveryWaiter) {
  Completion<> c;
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      if (WaitError(c).second == "stage failed") ++woken;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.Fail(DataError("stage failed"));
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(woken.load(), 4);
}

TEST(CompletionTest, CancellationWakesTheWaiterAndFailsTheCompletion) {
  Completion<int> c;
  CancellationSource source;
  std::pair<ErrorKind, std::string> error;
  std::thread waiter([&] { error = WaitError(c, source.token()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  source.Cancel("lease lost");
  waiter.join();
  EXPECT_EQ(error, std::make_pair(ErrorKind::kCancelled, std::string("lease lost")));
  // Stages see the failure and drop the unit's items; a late result is ignored.
  EXPECT_TRUE(c.failed());
  EXPECT_FALSE(c.Succeed(1));
  EXPECT_EQ(WaitError(c).first, ErrorKind::kCancelled);
}

TEST(CompletionTest, AlreadyCancelledWaitThrowsAtOnceUnlessSettled) {
  CancellationSource source;
  source.Cancel("stopped");
  Completion<int> open;
  EXPECT_EQ(WaitError(open, source.token()).first, ErrorKind::kCancelled);
  // A settled outcome is returned even to a cancelled waiter: the work is done.
  Completion<int> done;
  done.Succeed(3);
  EXPECT_EQ(done.Wait(source.token()), 3);
}

TEST(CompletionTest, RacingOutcomesSettleExactlyOnce) {
  for (int round = 0; round < 200; ++round) {
    Completion<int> c;
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        bool won = i % 2 == 0 ? c.Succeed(i) : c.Fail(DataError(std::to_string(i)));
        if (won) ++winners;
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(winners.load(), 1);
    if (c.failed()) {
      EXPECT_EQ(WaitError(c).first, ErrorKind::kInvalidData);
    } else {
      EXPECT_EQ(c.Wait() % 2, 0);
    }
  }
}

}  // namespace
}  // namespace sluice
