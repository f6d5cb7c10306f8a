// MemoryGate: a share of a job's memory budget for working memory that the flow executor does
// not see (a stage's buffers while its function runs), handed out as Holds that are taken
// before the memory is allocated. Acquire waits for room instead of failing, so tasks run as many
// at a time as their memory allows; when nothing else is held, a request larger than the whole
// share is let through over the limit (counted in overdrafts()), so one item too large for the
// share still makes progress alone.
//
// A Hold is charged before its buffers are allocated and released after they are freed. Tasks
// must not wait for a second Hold while keeping one, or two of them could wait on each other.
//
// Ownership: the gate must outlive its Holds. Thread safety: every method of MemoryGate may be
// called from any thread; a single Hold must not be used by two threads at once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_budget.h"

namespace sluice {

class MemoryGate {
 public:
  // Bytes held; given back (waking waiters) when released or destroyed.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() { Release(); }

    int64_t bytes() const { return reservation_.bytes(); }
    // Grows or shrinks to `bytes`. Growth records memory that is already allocated (an output
    // that outgrew its estimate), so it is counted even where it takes the gate past its limit
    // (an overdraft); shrinking wakes waiters.
    void Resize(int64_t bytes);
    // Takes over another Hold's bytes (of the same gate, or an empty Hold) without releasing
    // them in between.
    void Absorb(Hold&& other);
    void Release();

   private:
    friend class MemoryGate;
    Hold(MemoryGate* gate, Reservation reservation)
        : gate_(gate), reservation_(std::move(reservation)) {}

    MemoryGate* gate_ = nullptr;
    Reservation reservation_;
  };

  explicit MemoryGate(int64_t limit) : budget_(limit) {}
  MemoryGate(const MemoryGate&) = delete;
  MemoryGate& operator=(const MemoryGate&) = delete;

  // Waits until `bytes` fit, or takes them over the limit when nothing else is held. Throws
  // Cancelled when `cancel` fires meanwhile.
  Hold Acquire(int64_t bytes, const CancellationToken& cancel);
  // `bytes` when they fit now, else nullopt.
  std::optional<Hold> TryAcquire(int64_t bytes);

  int64_t limit() const { return budget_.limit(); }
  int64_t used() const { return budget_.used(); }
  int64_t peak() const { return budget_.peak(); }
  // Holds or growths that took the gate past its limit.
  int64_t overdrafts() const { return budget_.overdrafts(); }

 private:
  MemoryBudget budget_;  // thread-safe itself; mu_ orders waits against releases
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace sluice
