#include "sluice/base/memory_gate.h"

#include <utility>

#include "sluice/base/check.h"

namespace sluice {

MemoryGate::Hold::Hold(Hold&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)), reservation_(std::move(other.reservation_)) {}

MemoryGate::Hold& MemoryGate::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    gate_ = std::exchange(other.gate_, nullptr);
    reservation_ = std::move(other.reservation_);
  }
  return *this;
}

void MemoryGate::Hold::Resize(int64_t bytes) {
  SLUICE_CHECK(gate_ != nullptr);
  SLUICE_CHECK_GE(bytes, 0);
  std::lock_guard lock(gate_->mu_);
  const int64_t before = reservation_.bytes();
  if (bytes <= before) {
    // A split always succeeds; TryResize refuses even a shrink while the gate is overdrawn.
    reservation_.Split(before - bytes).Release();
    gate_->cv_.notify_all();
    return;
  }
  if (!reservation_.TryResize(bytes)) {
    reservation_.Merge(gate_->budget_.ReserveOverLimit(bytes - before));
  }
}

void MemoryGate::Hold::Absorb(Hold&& other) {
  if (other.gate_ == nullptr) return;
  if (gate_ == nullptr) {
    *this = std::move(other);
    return;
  }
  SLUICE_CHECK(gate_ == other.gate_);
  std::lock_guard lock(gate_->mu_);
  reservation_.Merge(std::move(other.reservation_));
  other.gate_ = nullptr;
}

void MemoryGate::Hold::Release() {
  if (gate_ == nullptr) return;
  std::lock_guard lock(gate_->mu_);
  reservation_.Release();
  gate_->cv_.notify_all();
  gate_ = nullptr;
}

MemoryGate::Hold MemoryGate::Acquire(int64_t bytes, const CancellationToken& cancel) {
  SLUICE_CHECK_GE(bytes, 0);
  Subscription wake = cancel.Subscribe([this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  for (;;) {
    cancel.ThrowIfCancelled();
    if (std::optional<Reservation> r = budget_.TryReserve(bytes)) return Hold(this, std::move(*r));
    if (budget_.used() == 0) return Hold(this, budget_.ReserveOverLimit(bytes));
    cv_.wait(lock);
  }
}

std::optional<MemoryGate::Hold> MemoryGate::TryAcquire(int64_t bytes) {
  SLUICE_CHECK_GE(bytes, 0);
  std::lock_guard lock(mu_);
  std::optional<Reservation> r = budget_.TryReserve(bytes);
  if (!r) return std::nullopt;
  return Hold(this, std::move(*r));
}

}  // namespace sluice
