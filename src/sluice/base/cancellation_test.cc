#include "sluice/base/cancellation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sluice/base/error.h"

namespace sluice {
namespace {

TEST(CancellationTest, CancelsOnceWithReason) {
  CancellationSource source;
  CancellationToken token = source.token();
  EXPECT_FALSE(token.cancelled());
  EXPECT_NO_THROW(token.ThrowIfCancelled());
  EXPECT_TRUE(source.Cancel("interrupted"));
  EXPECT_FALSE(source.Cancel("second"));
  EXPECT_TRUE(token.cancelled());
  EXPECT_EQ(token.reason(), "interrupted");
  try {
    token.ThrowIfCancelled();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCancelled);
  }
}

TEST(CancellationTest, CallbacksRunOnceAndUnsubscribeStopsThem) {
  CancellationSource source;
  int fired = 0, dropped = 0;
  Subscription keep = source.token().Subscribe([&] { ++fired; });
  {
    Subscription drop = source.token().Subscribe([&] { ++dropped; });
  }
  source.Cancel("stop");
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(dropped, 0);
  // Subscribing after cancellation runs the callback at once.
  Subscription late = source.token().Subscribe([&] { ++fired; });
  EXPECT_EQ(fired, 2);
}

TEST(CancellationTest, ChildFollowsParent) {
  CancellationSource parent;
  CancellationSource child(parent.token());
  parent.Cancel("ctrl-c");
  EXPECT_TRUE(child.cancelled());
  EXPECT_EQ(child.token().reason(), "ctrl-c");
}

TEST(CancellationTest, ConcurrentCancelAndUnsubscribe) {
  for (int round = 0; round < 200; ++round) {
    CancellationSource source;
    std::atomic<int> fired{0};
    auto sub = std::make_unique<Subscription>(source.token().Subscribe([&] { ++fired; }));
    std::thread t([&] { source.Cancel("race"); });
    sub.reset();  // either ran before, or will never run after this returns
    int seen = fired.load();
    t.join();
    EXPECT_EQ(fired.load(), seen);
  }
}

}  // namespace
}  // namespace sluice
