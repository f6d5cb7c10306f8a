#include "sluice/base/cancellation.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "sluice/base/error.h"

namespace sluice {
namespace cancellation_internal {

struct State {
  std::atomic<bool> cancelled{false};
  std::mutex mu;
  std::condition_variable callback_done;
  std::string reason;                                   // guarded by mu
  std::map<uint64_t, std::function<void()>> callbacks;  // guarded by mu
  uint64_t next_id = 1;                                 // guarded by mu
  uint64_t running_id = 0;                              // guarded by mu
  std::thread::id running_thread;                       // guarded by mu
};

}  // namespace cancellation_internal

using cancellation_internal::State;

namespace {

// First call wins; returns whether this call cancelled.
bool CancelState(State& state, std::string reason) {
  std::unique_lock lock(state.mu);
  if (state.cancelled.load(std::memory_order_relaxed)) return false;
  state.reason = std::move(reason);
  state.cancelled.store(true, std::memory_order_release);
  // Run callbacks one at a time without holding the lock, so they may subscribe or unsubscribe.
  while (!state.callbacks.empty()) {
    auto node = state.callbacks.extract(state.callbacks.begin());
    state.running_id = node.key();
    state.running_thread = std::this_thread::get_id();
    lock.unlock();
    node.mapped()();
    lock.lock();
    state.running_id = 0;
    state.callback_done.notify_all();
  }
  return true;
}

}  // namespace

Subscription::Subscription(std::shared_ptr<State> state, uint64_t id)
    : state_(std::move(state)), id_(id) {}

Subscription::Subscription(Subscription&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_) {
  other.id_ = 0;
}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    state_ = std::move(other.state_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

Subscription::~Subscription() { Reset(); }

void Subscription::Reset() {
  if (!state_ || id_ == 0) return;
  std::unique_lock lock(state_->mu);
  state_->callbacks.erase(id_);
  // Wait out a running callback unless it is this thread's own (a callback dropping itself).
  state_->callback_done.wait(lock, [&] {
    return state_->running_id != id_ || state_->running_thread == std::this_thread::get_id();
  });
  state_.reset();
  id_ = 0;
}

CancellationToken::CancellationToken() : state_(std::make_shared<State>()) {}
CancellationToken::CancellationToken(std::shared_ptr<State> state) : state_(std::move(state)) {}

bool CancellationToken::cancelled() const {
  return state_->cancelled.load(std::memory_order_acquire);
}

std::string CancellationToken::reason() const {
  std::lock_guard lock(state_->mu);
  return state_->reason;
}

void CancellationToken::ThrowIfCancelled() const {
  if (cancelled()) throw Cancelled("{}", reason());
}

Subscription CancellationToken::Subscribe(std::function<void()> callback) const {
  {
    std::lock_guard lock(state_->mu);
    if (!state_->cancelled.load(std::memory_order_acquire)) {
      uint64_t id = state_->next_id++;
      state_->callbacks.emplace(id, std::move(callback));
      return Subscription(state_, id);
    }
  }
  callback();
  return Subscription();
}

CancellationSource::CancellationSource() : state_(std::make_shared<State>()) {}

CancellationSource::CancellationSource(const CancellationToken& parent)
    : state_(std::make_shared<State>()) {
  std::weak_ptr<State> weak = state_;
  std::weak_ptr<State> parent_state = parent.state_;
  parent_subscription_ = parent.Subscribe([weak, parent_state] {
    auto state = weak.lock();
    auto parent_locked = parent_state.lock();
    if (state && parent_locked) CancelState(*state, CancellationToken(parent_locked).reason());
  });
}

bool CancellationSource::cancelled() const {
  return state_->cancelled.load(std::memory_order_acquire);
}

bool CancellationSource::Cancel(std::string reason) {
  return CancelState(*state_, std::move(reason));
}

}  // namespace sluice
