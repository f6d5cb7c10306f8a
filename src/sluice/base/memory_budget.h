// MemoryBudget: one limit, in bytes, on everything a job holds in flight. Holders take RAII
// Reservations; the budget's accounted bytes (used()) never exceed limit() through TryReserve, and
// peak() is the high-water mark that tests and reports check.
//
// Accounts split the budget the way Ray's reservation allocator does: each account (a pipeline
// stage, say) owns a reserved share that nobody else may take, and everything not reserved is a
// shared pool that any account, or a caller without an account, draws on once its own share is
// used. A fast producer can therefore never take the bytes a slow consumer needs for its next
// output.
//
// The one exception to the limit is ReserveOverLimit, the liveness valve for an item that cannot
// fit even in an empty pipeline; it is counted (overdrafts()) so callers can warn about it.
//
// Thread safety: every method of MemoryBudget, Account and Reservation may be called from any
// thread; a single Reservation object must not be used by two threads at once. The budget must
// outlive its accounts and reservations.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

class MemoryBudget;

class MemoryAccount {
 public:
  const std::string& name() const { return name_; }
  int64_t reserved() const;
  int64_t used() const;

 private:
  friend class MemoryBudget;
  friend class Reservation;
  MemoryAccount(MemoryBudget* budget, std::string name) : budget_(budget), name_(std::move(name)) {}

  MemoryBudget* budget_;
  std::string name_;
  int64_t reserved_ = 0;  // guarded by budget_->mu_
  int64_t used_ = 0;      // guarded by budget_->mu_
};

class Reservation {
 public:
  Reservation() = default;
  Reservation(Reservation&& other) noexcept;
  Reservation& operator=(Reservation&& other) noexcept;
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  ~Reservation() { Release(); }

  int64_t bytes() const { return bytes_; }
  MemoryAccount* account() const { return account_; }
  explicit operator bool() const { return budget_ != nullptr; }

  // Grows or shrinks to new_bytes; shrinking always succeeds, growing obeys the limit.
  bool TryResize(int64_t new_bytes) { return TryReassign(account_, new_bytes); }
  // Moves these bytes to another account of the same budget in one step.
  bool TryTransfer(MemoryAccount* to) { return TryReassign(to, bytes_); }
  // Releases these bytes and takes new_bytes from `to` as one step, so nobody can take the
  // released bytes in between. On failure nothing changes.
  bool TryReassign(MemoryAccount* to, int64_t new_bytes);
  // Splits off a reservation of `bytes` (<= bytes()) in the same account; no budget change.
  Reservation Split(int64_t bytes);
  // Absorbs another reservation of the same budget and account; no budget change.
  void Merge(Reservation&& other);
  void Release();

 private:
  friend class MemoryBudget;
  Reservation(MemoryBudget* budget, MemoryAccount* account, int64_t bytes)
      : budget_(budget), account_(account), bytes_(bytes) {}

  MemoryBudget* budget_ = nullptr;
  MemoryAccount* account_ = nullptr;
  int64_t bytes_ = 0;
};

class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t limit);
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;
  ~MemoryBudget();

  // Creates an account with a reserved share (0 for none), clamped to what is still unreserved.
  // Accounts live as long as the budget.
  MemoryAccount* CreateAccount(std::string name, int64_t reserved = 0);
  // Changes an account's share; fails when the shares would exceed the limit or the shared pool
  // would no longer cover what accounts already use beyond their shares.
  bool TrySetReserved(MemoryAccount* account, int64_t reserved);

  // nullptr account: draw on the shared pool only.
  std::optional<Reservation> TryReserve(int64_t bytes, MemoryAccount* account = nullptr);
  // Whether TryReserve(bytes, account) would succeed now.
  bool CanReserve(int64_t bytes, MemoryAccount* account = nullptr) const;
  // Ignores the other accounts' shares but not the limit: the first liveness valve, for when
  // the shares are what keeps the pipeline from moving.
  std::optional<Reservation> TryReserveIgnoringShares(int64_t bytes, MemoryAccount* account);
  // Always succeeds; may take used() past limit(). Counted in overdrafts().
  Reservation ReserveOverLimit(int64_t bytes, MemoryAccount* account = nullptr);

  int64_t limit() const { return limit_; }
  int64_t used() const;
  int64_t peak() const;
  int64_t overdrafts() const;
  // Bytes an account could still take right now (its free share plus the free shared pool).
  int64_t Available(const MemoryAccount* account = nullptr) const;

 private:
  friend class Reservation;
  friend class MemoryAccount;

  // Extra shared-pool bytes an account needs to go from its used bytes to used + delta.
  int64_t SharedNeedLocked(const MemoryAccount* account, int64_t delta) const;
  bool FitsLocked(const MemoryAccount* account, int64_t delta) const;
  void ApplyLocked(MemoryAccount* account, int64_t delta);

  const int64_t limit_;
  mutable std::mutex mu_;
  int64_t used_ = 0;          // guarded by mu_
  int64_t peak_ = 0;          // guarded by mu_
  int64_t reserved_sum_ = 0;  // guarded by mu_
  int64_t shared_used_ = 0;   // guarded by mu_: bytes beyond shares, plus account-less bytes
  int64_t overdrafts_ = 0;    // guarded by mu_
  std::vector<std::unique_ptr<MemoryAccount>> accounts_;  // guarded by mu_
};

}  // namespace sluice
