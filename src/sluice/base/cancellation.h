// Cooperative cancellation. A CancellationSource owns the state and cancels it once, with a reason;
// CancellationTokens are cheap copies handed to whoever must notice. Long waits subscribe a
// callback instead of polling, so cancellation wakes them at once.
//
// Thread safety: every method may be called concurrently. Callbacks run on the cancelling thread
// (or at once on the subscribing thread when already cancelled) and must not block; a Subscription
// being destroyed waits for its callback if that callback is running on another thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace sluice {

namespace cancellation_internal {
struct State;
}

class CancellationToken;

// Keeps a callback registered until destroyed.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& other) noexcept;
  Subscription& operator=(Subscription&& other) noexcept;
  ~Subscription();

 private:
  friend class CancellationToken;
  Subscription(std::shared_ptr<cancellation_internal::State> state, uint64_t id);
  void Reset();

  std::shared_ptr<cancellation_internal::State> state_;
  uint64_t id_ = 0;
};

class CancellationToken {
 public:
  // A token that is never cancelled.
  CancellationToken();

  bool cancelled() const;
  // The reason given to Cancel, or "" when not cancelled.
  std::string reason() const;
  // Throws Error(kCancelled) with the reason when cancelled.
  void ThrowIfCancelled() const;
  // Runs callback once on cancellation (immediately if already cancelled).
  [[nodiscard]] Subscription Subscribe(std::function<void()> callback) const;

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<cancellation_internal::State> state);
  std::shared_ptr<cancellation_internal::State> state_;
};

class CancellationSource {
 public:
  CancellationSource();
  // A source that is also cancelled when parent is.
  explicit CancellationSource(const CancellationToken& parent);

  CancellationToken token() const { return CancellationToken(state_); }
  // First call wins; returns whether this call cancelled.
  bool Cancel(std::string reason);
  bool cancelled() const;

 private:
  std::shared_ptr<cancellation_internal::State> state_;
  Subscription parent_subscription_;
};

}  // namespace sluice
