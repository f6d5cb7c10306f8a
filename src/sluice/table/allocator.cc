#include "sluice/table/allocator.h"

#include <cstdlib>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/base/large_pages.h"
#include "sluice/base/memory_budget.h"
#include "sluice/table/buffer.h"

namespace sluice {
namespace {

std::atomic<int64_t> process_live_bytes{0};
std::atomic<int64_t> process_peak_bytes{0};
std::atomic<int64_t> process_allocations{0};

// A zero-capacity buffer still needs a valid, aligned, non-null address: Arrow consumers may read
// "no bytes" from it, and a null data pointer is not allowed for most buffers.
alignas(kBufferAlignment) uint8_t empty_block[kBufferAlignment] = {};

void RaisePeak(std::atomic<int64_t>& peak, int64_t value) {
  int64_t seen = peak.load(std::memory_order_relaxed);
  while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

Allocator::Allocator(MemoryBudget* budget, MemoryAccount* account, OverBudget policy)
    : budget_(budget), account_(account), policy_(policy) {
  SLUICE_CHECK(budget != nullptr);
}

Allocator* Allocator::Default() {
  // Never destroyed: buffers alive during static destruction still point at it.
  static Allocator* allocator = new Allocator();
  return allocator;
}

std::unique_ptr<Buffer> Allocator::Allocate(int64_t capacity) {
  SLUICE_CHECK_GE(capacity, 0);
  int64_t rounded = (capacity + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  if (rounded == 0) {
    return std::unique_ptr<Buffer>(new Buffer(empty_block, 0, 0, this, Reservation(), nullptr));
  }
  Reservation reservation;
  if (budget_ != nullptr) {
    if (policy_ == OverBudget::kFail) {
      std::optional<Reservation> r = budget_->TryReserve(rounded, account_);
      if (!r) {
        throw ResourceExhausted("table buffer of {} bytes does not fit the memory budget", rounded)
            .With("available", std::to_string(budget_->Available(account_)));
      }
      reservation = std::move(*r);
    } else {
      reservation = budget_->ReserveOverLimit(rounded, account_);
    }
  }
  // Large column buffers go on huge pages (base/large_pages.h): fewer first-touch faults.
  void* data = AllocateLarge(static_cast<size_t>(rounded));
  int64_t live = live_bytes_.fetch_add(rounded, std::memory_order_relaxed) + rounded;
  RaisePeak(peak_bytes_, live);
  allocations_.fetch_add(1, std::memory_order_relaxed);
  int64_t process_live = process_live_bytes.fetch_add(rounded, std::memory_order_relaxed) + rounded;
  RaisePeak(process_peak_bytes, process_live);
  process_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::unique_ptr<Buffer>(
      new Buffer(static_cast<uint8_t*>(data), 0, rounded, this, std::move(reservation), nullptr));
}

void Allocator::Free(uint8_t* data, int64_t capacity) {
  if (capacity == 0) return;
  FreeLarge(data, static_cast<size_t>(capacity));
  live_bytes_.fetch_sub(capacity, std::memory_order_relaxed);
  process_live_bytes.fetch_sub(capacity, std::memory_order_relaxed);
}

AllocatorStats Allocator::stats() const {
  return AllocatorStats{live_bytes_.load(std::memory_order_relaxed),
                        peak_bytes_.load(std::memory_order_relaxed),
                        allocations_.load(std::memory_order_relaxed)};
}

AllocatorStats ProcessAllocatorStats() {
  return AllocatorStats{process_live_bytes.load(std::memory_order_relaxed),
                        process_peak_bytes.load(std::memory_order_relaxed),
                        process_allocations.load(std::memory_order_relaxed)};
}

}  // namespace sluice
