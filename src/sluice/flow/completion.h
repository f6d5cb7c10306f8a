// Completion<T>: a one-shot outcome, a value (for T = void, just "done") or an error, that one
// side settles and others block on. A job hands a unit of work to a running pipeline and waits on
// the unit's Completion; the pipeline's stages settle it. The first outcome wins: later Succeed
// and Fail calls are ignored, so any stage may fail a unit without checking who got there first,
// and stages check failed() to drop the items of a unit that has already failed.
//
// A wait ends on settlement or on its CancellationToken, never on a timeout. A cancelled wait
// settles the completion itself as failed (Cancelled, with the token's reason), so the stages see
// failed() and stop spending work on a unit nobody waits for any more.
//
// T must be default-constructible and copyable.
//
// Ownership: the completion owns its value and error; Wait returns a copy of the value. Share it
// (usually inside the unit, by shared_ptr) between the waiter and the items in flight.
// Thread safety: every method may be called from any thread, concurrently; any number of threads
// may Wait. failed() is one atomic load, cheap enough to check per item.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <type_traits>
#include <utility>
#include <variant>

#include "sluice/base/cancellation.h"
#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {

template <typename T = void>
class Completion {
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

 public:
  // Settle with a value; returns whether this call settled it (false: it was settled already).
  bool Succeed() requires std::is_void_v<T> { return Settle(Value{}, nullptr); }
  bool Succeed(Value value) requires(!std::is_void_v<T>) {
    return Settle(std::move(value), nullptr);
  }
  // Settle with an error (not null); returns whether this call settled it.
  bool Fail(std::exception_ptr error) {
    SLUICE_CHECK(error != nullptr);
    return Settle(Value{}, std::move(error));
  }

  bool failed() const { return failed_.load(std::memory_order_acquire); }

  // Blocks until settled: returns the value or rethrows the error. When cancel fires first, the
  // completion fails with Cancelled (the token's reason) and that is thrown.
  T Wait(const CancellationToken& cancel = CancellationToken()) {
    // Declared before the lock so that it is destroyed after it: destroying a subscription waits
    // for its running callback, which needs the lock.
    Subscription wake = cancel.Subscribe([this] {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return settled_ || cancel.cancelled(); });
    if (!settled_) {
      error_ = std::make_exception_ptr(Cancelled("{}", cancel.reason()));
      settled_ = true;
      failed_.store(true, std::memory_order_release);
      cv_.notify_all();
    }
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>) return value_;
  }

 private:
  bool Settle(Value value, std::exception_ptr error) {
    std::lock_guard lock(mu_);
    if (settled_) return false;
    settled_ = true;
    if (error) {
      error_ = std::move(error);
      failed_.store(true, std::memory_order_release);
    } else {
      value_ = std::move(value);
    }
    cv_.notify_all();
    return true;
  }

  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_:
  bool settled_ = false;
  Value value_{};
  std::exception_ptr error_;
};

}  // namespace sluice
