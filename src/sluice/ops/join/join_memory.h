// JoinMemory: the part of a join's memory budget that holds join state the flow executor does not
// see: build tables and the buffers of partitions being written. Holders take Reservations from
// one MemoryBudget; Acquire waits for room instead of failing, so parallel partition joins run as
// many at a time as fit. When nothing else is held, a request larger than the whole budget is
// let through over the limit (counted in overdrafts()): one partition that cannot be split any
// further must still be joined.
//
// Thread safety: every method may be called from any thread. The object must outlive the
// reservations it hands out.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

#include "sluice/base/cancellation.h"
#include "sluice/base/error.h"
#include "sluice/base/memory_budget.h"

namespace sluice {

class JoinMemory {
 public:
  // Bytes held; returned (waking waiters) when destroyed.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept
        : memory_(std::exchange(other.memory_, nullptr)),
          reservation_(std::move(other.reservation_)) {}
    Hold& operator=(Hold&& other) noexcept {
      Reset();
      memory_ = std::exchange(other.memory_, nullptr);
      reservation_ = std::move(other.reservation_);
      return *this;
    }
    ~Hold() { Reset(); }
    int64_t bytes() const { return reservation_.bytes(); }
    // Grows (within the limit) or shrinks to the bytes really held.
    bool TryResize(int64_t bytes) {
      std::lock_guard lock(memory_->mu_);
      const bool ok = reservation_.TryResize(bytes);
      memory_->cv_.notify_all();
      return ok;
    }
    // Takes over another hold's bytes (of the same JoinMemory, or an empty hold) without
    // releasing them in between.
    void Absorb(Hold&& other) {
      if (other.memory_ == nullptr) return;
      if (memory_ == nullptr) {
        *this = std::move(other);
        return;
      }
      std::lock_guard lock(memory_->mu_);
      reservation_.Merge(std::move(other.reservation_));
      other.memory_ = nullptr;
    }
    void Reset() {
      if (memory_ == nullptr) return;
      std::lock_guard lock(memory_->mu_);
      reservation_.Release();
      memory_->cv_.notify_all();
      memory_ = nullptr;
    }

   private:
    friend class JoinMemory;
    Hold(JoinMemory* memory, Reservation reservation)
        : memory_(memory), reservation_(std::move(reservation)) {}
    JoinMemory* memory_ = nullptr;
    Reservation reservation_;
  };

  explicit JoinMemory(int64_t limit) : budget_(limit) {}

  int64_t limit() const { return budget_.limit(); }
  int64_t used() const { return budget_.used(); }
  int64_t peak() const { return budget_.peak(); }
  int64_t overdrafts() const { return budget_.overdrafts(); }

  std::optional<Hold> TryAcquire(int64_t bytes) {
    std::lock_guard lock(mu_);
    std::optional<Reservation> r = budget_.TryReserve(bytes);
    if (!r) return std::nullopt;
    return Hold(this, std::move(*r));
  }

  // Waits until `bytes` fit, or takes them over the limit when nothing else is held. Throws
  // Cancelled when `cancel` fires meanwhile.
  Hold Acquire(int64_t bytes, const CancellationToken& cancel) {
    Subscription wake = cancel.Subscribe([this] {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    for (;;) {
      cancel.ThrowIfCancelled();
      if (std::optional<Reservation> r = budget_.TryReserve(bytes)) {
        return Hold(this, std::move(*r));
      }
      if (budget_.used() == 0) return Hold(this, budget_.ReserveOverLimit(bytes));
      cv_.wait(lock);
    }
  }

 private:
  MemoryBudget budget_;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace sluice
