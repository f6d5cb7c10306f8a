#include "sluice/jobs/lease_table.h"

#include <algorithm>

namespace sluice::jobs {

void LeaseTable::Add(std::vector<ledger::Lease> leases, Clock::time_point deadline) {
  for (ledger::Lease& lease : leases) {
    const Key key = KeyOf(lease.ref());
    queue_.push_back(key);
    held_[key] = Held{std::move(lease), deadline, nullptr, false};
  }
}

std::optional<std::pair<ledger::Lease, std::shared_ptr<CancellationSource>>> LeaseTable::StartNext(
    const CancellationToken& parent) {
  while (!queue_.empty()) {
    auto it = held_.find(queue_.front());
    queue_.pop_front();
    if (it == held_.end()) continue;  // lost while queued
    it->second.cancel = std::make_shared<CancellationSource>(parent);
    return std::make_pair(it->second.lease, it->second.cancel);
  }
  return std::nullopt;
}

bool LeaseTable::Lost(const Key& key) const {
  auto it = held_.find(key);
  return it != held_.end() && it->second.lost;
}

void LeaseTable::Erase(const Key& key) { held_.erase(key); }

std::vector<ledger::LeaseRef> LeaseTable::Renewable() const {
  std::vector<ledger::LeaseRef> refs;
  for (const auto& [key, held] : held_) {
    if (!held.lost) refs.push_back(held.lease.ref());
  }
  return refs;
}

void LeaseTable::ApplyHeartbeat(
    const std::vector<ledger::LeaseRef>& refs,
    const std::optional<std::vector<std::optional<ledger::Timestamp>>>& expiries,
    Clock::time_point sent, Clock::time_point now, ledger::Duration lease, Clock::duration margin) {
  for (size_t i = 0; i < refs.size(); ++i) {
    auto it = held_.find(KeyOf(refs[i]));
    if (it == held_.end()) continue;
    Held& held = it->second;
    if (expiries && (*expiries)[i]) {
      held.local_deadline = sent + lease;
      continue;
    }
    // Refused, or no heartbeat and the lease is about to expire: stop working on it.
    if (!expiries && now + margin < held.local_deadline) continue;
    held.lost = true;
    if (held.cancel) {
      held.cancel->Cancel("lease lost");
    } else {
      queue_.erase(std::remove(queue_.begin(), queue_.end(), it->first), queue_.end());
      held_.erase(it);
      ++lost_queued_;
    }
  }
}

void LeaseTable::CancelRunning(const std::string& reason) {
  for (auto& [key, held] : held_) {
    if (held.cancel) held.cancel->Cancel(reason);
  }
}

std::vector<ledger::LeaseRef> LeaseTable::TakeAll() {
  std::vector<ledger::LeaseRef> refs;
  for (const auto& [key, held] : held_) refs.push_back(held.lease.ref());
  held_.clear();
  queue_.clear();
  return refs;
}

}  // namespace sluice::jobs
