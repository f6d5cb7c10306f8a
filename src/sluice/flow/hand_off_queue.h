// HandOffQueue<T>: hands items from producer threads to consumer threads in FIFO order, between
// code outside a pipeline (ledger worker tasks claiming partitions) and a running pipeline's
// Source stage, or any two groups of threads. Unbounded by default; with a capacity, Push blocks
// while the queue is full.
//
// End of stream is explicit: Close() makes every later Push fail and lets consumers drain what is
// queued, after which Pop returns nullopt. No sentinels, no timeouts. Every blocking call also
// takes a CancellationToken and returns as soon as it fires. A Push that fails (closed or
// cancelled) leaves its argument untouched, so the producer still holds the item and can fail it.
//
// Ownership: the queue owns the items between Push and Pop. Thread safety: every method may be
// called from any thread, concurrently; any number of producers and consumers.
#pragma once

#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/base/check.h"

namespace sluice {

template <typename T>
class HandOffQueue {
 public:
  static constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

  explicit HandOffQueue(size_t capacity = kUnbounded) : capacity_(capacity) {
    SLUICE_CHECK_GT(capacity, size_t{0});
  }
  HandOffQueue(const HandOffQueue&) = delete;
  HandOffQueue& operator=(const HandOffQueue&) = delete;

  // Appends item (copied or moved from), blocking while the queue is full. Returns false, with
  // item untouched, when the queue is closed or cancel fires before there is room.
  template <typename U>
  requires std::constructible_from<T, U&&>
  bool Push(U&& item, const CancellationToken& cancel = CancellationToken()) {
    Subscription wake;
    std::unique_lock lock(mu_);
    if (!closed_ && items_.size() >= capacity_) {
      // Subscribing only when full keeps the common push cheap. The callback takes mu_, so it is
      // registered without holding it, and the wait below re-checks everything.
      lock.unlock();
      wake = Wake(cancel);
      lock.lock();
      room_.wait(lock, [&] { return closed_ || cancel.cancelled() || items_.size() < capacity_; });
    }
    if (closed_) return false;
    if (cancel.cancelled()) {
      // This waiter may have taken the wake-up meant for another pusher: pass it on.
      if (items_.size() < capacity_) room_.notify_one();
      return false;
    }
    items_.emplace_back(std::forward<U>(item));
    items_ready_.notify_one();
    return true;
  }

  // The oldest item, blocking while the queue is empty and open. nullopt once the queue is
  // closed and drained, or when cancel has fired (queued items then stay for other consumers or
  // for CloseAndTake).
  std::optional<T> Pop(const CancellationToken& cancel = CancellationToken()) {
    Subscription wake;
    std::unique_lock lock(mu_);
    if (items_.empty() && !closed_) {
      lock.unlock();
      wake = Wake(cancel);
      lock.lock();
    }
    items_ready_.wait(lock, [&] { return closed_ || cancel.cancelled() || !items_.empty(); });
    if (cancel.cancelled()) {
      // This waiter may have taken the wake-up meant for another consumer: pass it on.
      if (!items_.empty()) items_ready_.notify_one();
      return std::nullopt;
    }
    if (items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    room_.notify_one();
    return item;
  }

  // Ends the stream: later pushes fail, queued items stay to be popped. Wakes every waiter.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    items_ready_.notify_all();
    room_.notify_all();
  }

  // Closes and returns the items nobody popped, oldest first: a consumer that stopped early
  // hands them back to be failed or retried.
  std::vector<T> CloseAndTake() {
    std::lock_guard lock(mu_);
    closed_ = true;
    std::vector<T> items;
    items.reserve(items_.size());
    for (T& item : items_) items.push_back(std::move(item));
    items_.clear();
    items_ready_.notify_all();
    room_.notify_all();
    return items;
  }

 private:
  // Wakes this queue's waiters when cancel fires; they re-check their token under mu_.
  Subscription Wake(const CancellationToken& cancel) {
    return cancel.Subscribe([this] {
      std::lock_guard lock(mu_);
      items_ready_.notify_all();
      room_.notify_all();
    });
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable items_ready_;  // an item arrived, or closed
  std::condition_variable room_;         // an item left, or closed
  // guarded by mu_:
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace sluice
