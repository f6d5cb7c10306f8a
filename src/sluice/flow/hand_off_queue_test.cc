#include "sluice/flow/hand_off_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(HandOffQueueTest, PopsInPushOrder) {
  HandOffQueue<int> q;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(q.Push(i));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.Pop(), i);
}

TEST(HandOffQueueTest, CloseDrainsThenEnds) {
  HandOffQueue<int> q;
  q.Push(1);
  q.Push(2);
  q.Close();
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), std::nullopt);
  EXPECT_EQ(q.Pop(), std::nullopt);
}

TEST(HandOffQueueTest, PushAfterCloseFailsAndLeavesTheItem) {
  HandOffQueue<std::unique_ptr<int>> q;
  q.Close();
  auto item = std::make_unique<int>(7);
  EXPECT_FALSE(q.Push(std::move(item)));
  ASSERT_NE(item, nullptr);  // still the caller's, to fail or retry
  EXPECT_EQ(*item, 7);
}

TEST(HandOffQueueTest, CloseWakesBlockedConsumers) {
  HandOffQueue<int> q;
  std::atomic<int> ended{0};
  std::vector<std::thread> consumers;
  for (int i = 0; i < 3; ++i) {
    consumers.emplace_back([&] {
      if (!q.Pop()) ++ended;
    });
  }
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ended.load(), 0);
  q.Close();
  for (std::thread& t : consumers) t.join();
  EXPECT_EQ(ended.load(), 3);
}

TEST(HandOffQueueTest, CancellationWakesABlockedConsumerAndKeepsItems) {
  HandOffQueue<int> q;
  CancellationSource source;
  std::optional<int> popped = 99;
  std::thread consumer([&] { popped = q.Pop(source.token()); });
  std::this_thread::sleep_for(20ms);
  source.Cancel("pipeline failed");
  consumer.join();
  EXPECT_EQ(popped, std::nullopt);
  // A cancelled consumer takes nothing: items stay for others, and the queue is still open.
  EXPECT_TRUE(q.Push(5));
  EXPECT_EQ(q.Pop(source.token()), std::nullopt);
  EXPECT_EQ(q.Pop(), 5);
}

TEST(HandOffQueueTest, CloseAndTakeReturnsWhatNobodyPopped) {
  HandOffQueue<int> q;
  for (int i = 0; i < 4; ++i) q.Push(i);
  EXPECT_EQ(q.Pop(), 0);
  EXPECT_EQ(q.CloseAndTake(), (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(q.Push(9));
  EXPECT_EQ(q.Pop(), std::nullopt);
}

TEST(HandOffQueueTest, BoundedPushWaitsForRoom) {
  HandOffQueue<int> q(2);
  q.Push(1);
  q.Push(2);
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(q.Push(3));
    pushed = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(q.Pop(), 1);
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), 3);
}

TEST(HandOffQueueTest, CloseAndCancellationWakeBlockedProducers) {
  HandOffQueue<std::unique_ptr<int>> q(1);
  q.Push(std::make_unique<int>(0));
  CancellationSource source;
  auto closed_item = std::make_unique<int>(1);
  auto cancelled_item = std::make_unique<int>(2);
  std::atomic<int> failed{0};
  std::thread on_close([&] {
    if (!q.Push(std::move(closed_item))) ++failed;
  });
  std::thread on_cancel([&] {
    if (!q.Push(std::move(cancelled_item), source.token())) ++failed;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(failed.load(), 0);
  source.Cancel("stop");
  on_cancel.join();
  EXPECT_EQ(failed.load(), 1);
  q.Close();
  on_close.join();
  EXPECT_EQ(failed.load(), 2);
  EXPECT_NE(closed_item, nullptr);
  EXPECT_NE(cancelled_item, nullptr);
  EXPECT_EQ(*q.Pop().value(), 0);  // what was queued before the close still drains
}

// Many producers and consumers: every item comes out exactly once, in order per producer.
void CheckNoItemLostOrDuplicated(size_t capacity) {
  constexpr int kProducers = 4, kConsumers = 3, kPerProducer = 10000;
  HandOffQueue<int> q(capacity);
  std::vector<std::vector<int>> seen(kConsumers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      while (std::optional<int> v = q.Pop()) seen[static_cast<size_t>(c)].push_back(*v);
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) ASSERT_TRUE(q.Push(p * kPerProducer + i));
    });
  }
  for (std::thread& t : producers) t.join();
  q.Close();
  for (std::thread& t : threads) t.join();

  std::vector<int> count(kProducers * kPerProducer, 0);
  for (const std::vector<int>& values : seen) {
    std::vector<int> last(kProducers, -1);
    for (int v : values) {
      ++count[static_cast<size_t>(v)];
      // One consumer sees each producer's items in the order they were pushed.
      EXPECT_GT(v, last[static_cast<size_t>(v / kPerProducer)]);
      last[static_cast<size_t>(v / kPerProducer)] = v;
    }
  }
  for (size_t v = 0; v < count.size(); ++v) ASSERT_EQ(count[v], 1) << "item " << v;
}

TEST(HandOffQueueTest, ConcurrentUnboundedLosesNothing) {
  CheckNoItemLostOrDuplicated(HandOffQueue<int>::kUnbounded);
}

TEST(HandOffQueueTest, ConcurrentBoundedLosesNothing) { CheckNoItemLostOrDuplicated(4); }

// Consumers that give up (cancelled) while items flow must not strand items others wait for.
TEST(HandOffQueueTest, CancelledConsumersDoNotStrandItems) {
  constexpr int kItems = 20000;
  HandOffQueue<int> q;
  std::atomic<int> received{0};
  std::thread steady([&] {
    while (q.Pop()) ++received;
  });
  std::vector<std::thread> quitters;
  for (int i = 0; i < 4; ++i) {
    quitters.emplace_back([&, i] {
      CancellationSource source;
      std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(200 * (i + 1)));
        source.Cancel("quit");
      });
      while (q.Pop(source.token())) ++received;
      canceller.join();
    });
  }
  for (int i = 0; i < kItems; ++i) q.Push(i);
  for (std::thread& t : quitters) t.join();
  // Before Close (which would wake the steady consumer anyway): a wake-up swallowed by a quitter
  // leaves items queued while the steady consumer sleeps.
  for (int waited_ms = 0; received.load() < kItems && waited_ms < 10000; ++waited_ms) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(received.load(), kItems);
  q.Close();
  steady.join();
}

}  // namespace
}  // namespace sluice
