#include "sluice/base/memory_budget.h"

#include <algorithm>

#include "sluice/base/check.h"

namespace sluice {

int64_t MemoryAccount::reserved() const {
  std::lock_guard lock(budget_->mu_);
  return reserved_;
}

int64_t MemoryAccount::used() const {
  std::lock_guard lock(budget_->mu_);
  return used_;
}

Reservation::Reservation(Reservation&& other) noexcept
    : budget_(other.budget_), account_(other.account_), bytes_(other.bytes_) {
  other.budget_ = nullptr;
  other.account_ = nullptr;
  other.bytes_ = 0;
}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = other.budget_;
    account_ = other.account_;
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
    other.account_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

bool Reservation::TryReassign(MemoryAccount* to, int64_t new_bytes) {
  SLUICE_CHECK(budget_ != nullptr);
  SLUICE_CHECK_GE(new_bytes, 0);
  std::lock_guard lock(budget_->mu_);
  if (to == account_ && new_bytes <= bytes_) {
    // A shrink in place always succeeds, also while the budget is overdrawn (releasing all and
    // fitting the rest again would refuse it then).
    budget_->ApplyLocked(account_, new_bytes - bytes_);
    bytes_ = new_bytes;
    return true;
  }
  budget_->ApplyLocked(account_, -bytes_);
  if (new_bytes > 0 && !budget_->FitsLocked(to, new_bytes)) {
    budget_->ApplyLocked(account_, bytes_);
    return false;
  }
  budget_->ApplyLocked(to, new_bytes);
  account_ = to;
  bytes_ = new_bytes;
  return true;
}

Reservation Reservation::Split(int64_t bytes) {
  SLUICE_CHECK(budget_ != nullptr);
  SLUICE_CHECK_GE(bytes, 0);
  SLUICE_CHECK_LE(bytes, bytes_);
  bytes_ -= bytes;
  return Reservation(budget_, account_, bytes);
}

void Reservation::Merge(Reservation&& other) {
  if (!other) return;
  if (budget_ == nullptr) {
    *this = std::move(other);
    return;
  }
  SLUICE_CHECK(other.budget_ == budget_);
  SLUICE_CHECK(other.account_ == account_);
  bytes_ += other.bytes_;
  other.budget_ = nullptr;
  other.account_ = nullptr;
  other.bytes_ = 0;
}

void Reservation::Release() {
  if (budget_ == nullptr) return;
  {
    std::lock_guard lock(budget_->mu_);
    budget_->ApplyLocked(account_, -bytes_);
  }
  budget_ = nullptr;
  account_ = nullptr;
  bytes_ = 0;
}

MemoryBudget::MemoryBudget(int64_t limit) : limit_(limit) { SLUICE_CHECK_GE(limit, 0); }

MemoryBudget::~MemoryBudget() { SLUICE_CHECK_EQ(used_, 0); }

MemoryAccount* MemoryBudget::CreateAccount(std::string name, int64_t reserved) {
  std::lock_guard lock(mu_);
  accounts_.push_back(std::unique_ptr<MemoryAccount>(new MemoryAccount(this, std::move(name))));
  MemoryAccount* account = accounts_.back().get();
  account->reserved_ = std::clamp<int64_t>(reserved, 0, limit_ - reserved_sum_ - shared_used_);
  reserved_sum_ += account->reserved_;
  return account;
}

bool MemoryBudget::TrySetReserved(MemoryAccount* account, int64_t reserved) {
  SLUICE_CHECK_GE(reserved, 0);
  std::lock_guard lock(mu_);
  int64_t old_overflow = std::max<int64_t>(0, account->used_ - account->reserved_);
  int64_t new_overflow = std::max<int64_t>(0, account->used_ - reserved);
  int64_t new_reserved_sum = reserved_sum_ - account->reserved_ + reserved;
  int64_t new_shared_used = shared_used_ - old_overflow + new_overflow;
  if (new_reserved_sum + new_shared_used > limit_) return false;
  reserved_sum_ = new_reserved_sum;
  shared_used_ = new_shared_used;
  account->reserved_ = reserved;
  return true;
}

int64_t MemoryBudget::SharedNeedLocked(const MemoryAccount* account, int64_t delta) const {
  if (account == nullptr) return delta;
  int64_t before = std::max<int64_t>(0, account->used_ - account->reserved_);
  int64_t after = std::max<int64_t>(0, account->used_ + delta - account->reserved_);
  return after - before;
}

bool MemoryBudget::FitsLocked(const MemoryAccount* account, int64_t delta) const {
  const int64_t need = SharedNeedLocked(account, delta);
  return need <= 0 || shared_used_ + need <= limit_ - reserved_sum_;
}

void MemoryBudget::ApplyLocked(MemoryAccount* account, int64_t delta) {
  shared_used_ += SharedNeedLocked(account, delta);
  if (account != nullptr) account->used_ += delta;
  used_ += delta;
  peak_ = std::max(peak_, used_);
}

std::optional<Reservation> MemoryBudget::TryReserve(int64_t bytes, MemoryAccount* account) {
  SLUICE_CHECK_GE(bytes, 0);
  std::lock_guard lock(mu_);
  if (!FitsLocked(account, bytes)) return std::nullopt;
  ApplyLocked(account, bytes);
  return Reservation(this, account, bytes);
}

bool MemoryBudget::CanReserve(int64_t bytes, MemoryAccount* account) const {
  std::lock_guard lock(mu_);
  return FitsLocked(account, bytes);
}

std::optional<Reservation> MemoryBudget::TryReserveIgnoringShares(int64_t bytes,
                                                                  MemoryAccount* account) {
  SLUICE_CHECK_GE(bytes, 0);
  std::lock_guard lock(mu_);
  if (used_ + bytes > limit_) return std::nullopt;
  ApplyLocked(account, bytes);
  return Reservation(this, account, bytes);
}

Reservation MemoryBudget::ReserveOverLimit(int64_t bytes, MemoryAccount* account) {
  SLUICE_CHECK_GE(bytes, 0);
  std::lock_guard lock(mu_);
  if (!FitsLocked(account, bytes)) ++overdrafts_;
  ApplyLocked(account, bytes);
  return Reservation(this, account, bytes);
}

int64_t MemoryBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

int64_t MemoryBudget::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

int64_t MemoryBudget::overdrafts() const {
  std::lock_guard lock(mu_);
  return overdrafts_;
}

int64_t MemoryBudget::Available(const MemoryAccount* account) const {
  std::lock_guard lock(mu_);
  int64_t shared_free = std::max<int64_t>(0, limit_ - reserved_sum_ - shared_used_);
  if (account == nullptr) return shared_free;
  return std::max<int64_t>(0, account->reserved_ - account->used_) + shared_free;
}

}  // namespace sluice
