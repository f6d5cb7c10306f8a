// LeaseTable: the leases one worker holds, keyed by (partition id, attempt): claimed and queued
// for a slot, or running with the cancellation source of their task. It also applies what a
// heartbeat round learned: a renewed lease gets a later local deadline; a lease the ledger refused,
// or one that could not be renewed before it expires, is lost: a running task is cancelled, a
// queued lease is dropped (counted in lost_queued). Keeping this apart from the worker's threads
// lets the rules be tested without them.
//
// Thread safety: none; the worker guards its table with its own mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice::jobs {

class LeaseTable {
 public:
  using Clock = std::chrono::steady_clock;
  // A worker may hold a new attempt of a partition whose old attempt it lost but has not
  // finished cancelling.
  using Key = std::pair<ledger::PartitionId, int64_t>;

  struct Held {
    ledger::Lease lease;
    Clock::time_point local_deadline;            // when the ledger may consider it expired
    std::shared_ptr<CancellationSource> cancel;  // set while running
    bool lost = false;
  };

  static Key KeyOf(const ledger::LeaseRef& ref) { return {ref.partition_id, ref.attempt}; }

  // Queues claimed leases; `deadline`: when the ledger may consider them expired.
  void Add(std::vector<ledger::Lease> leases, Clock::time_point deadline);
  // The next queued lease, now running under a cancellation source derived from `parent`; null
  // when the queue is empty.
  std::optional<std::pair<ledger::Lease, std::shared_ptr<CancellationSource>>> StartNext(
      const CancellationToken& parent);
  int64_t queued() const { return static_cast<int64_t>(queue_.size()); }
  bool empty() const { return held_.empty(); }
  // Whether the lease was lost while its task ran (false when it is not held).
  bool Lost(const Key& key) const;
  void Erase(const Key& key);

  // The leases to renew: held and not lost.
  std::vector<ledger::LeaseRef> Renewable() const;
  // What a heartbeat of `refs`, sent at `sent`, answered: per ref the new expiry (null: refused),
  // or nothing at all when the heartbeat failed. `lease`: the duration a renewal grants;
  // `margin`: how long before its local deadline an unrenewed lease is given up.
  void ApplyHeartbeat(const std::vector<ledger::LeaseRef>& refs,
                      const std::optional<std::vector<std::optional<ledger::Timestamp>>>& expiries,
                      Clock::time_point sent, Clock::time_point now, ledger::Duration lease,
                      Clock::duration margin);

  // Cancels every running task.
  void CancelRunning(const std::string& reason);
  // Empties the table; returns the leases that were still held (to release them).
  std::vector<ledger::LeaseRef> TakeAll();
  // Queued leases dropped because they were lost before a slot took them.
  int64_t lost_queued() const { return lost_queued_; }

 private:
  std::map<Key, Held> held_;
  std::deque<Key> queue_;  // claimed, not started
  int64_t lost_queued_ = 0;
};

}  // namespace sluice::jobs
