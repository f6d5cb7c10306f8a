#include "sluice/jobs/lease_heartbeat.h"

#include <exception>
#include <optional>
#include <vector>

#include "sluice/base/log.h"

namespace sluice::jobs {

LeaseHeartbeat::LeaseHeartbeat(std::mutex& mu, LeaseTable& leases,
                               std::unique_ptr<ledger::Ledger> ledger, ledger::Duration lease,
                               ledger::Duration interval)
    : mu_(mu), leases_(leases), ledger_(std::move(ledger)), lease_(lease), interval_(interval) {}

LeaseHeartbeat::~LeaseHeartbeat() { Stop(); }

void LeaseHeartbeat::Start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void LeaseHeartbeat::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LeaseHeartbeat::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_, [this] { return stop_; });
    if (stop_) return;
    std::vector<ledger::LeaseRef> refs = leases_.Renewable();
    if (refs.empty()) continue;
    lock.unlock();
    const auto sent = LeaseTable::Clock::now();
    std::optional<std::vector<std::optional<ledger::Timestamp>>> expiries;
    try {
      expiries = ledger_->HeartbeatMany(refs, lease_);
    } catch (const std::exception& e) {
      // Not only Error: an exception leaving this thread would end the process. The leases are
      // then treated as not renewed.
      SLUICE_LOG_WARN("heartbeat failed: {}", e.what());
    }
    lock.lock();
    leases_.ApplyHeartbeat(refs, expiries, sent, LeaseTable::Clock::now(), lease_, interval_ / 2);
  }
}

}  // namespace sluice::jobs
