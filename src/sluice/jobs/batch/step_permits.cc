#include "sluice/jobs/batch/step_permits.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/lease_owner.h"

namespace sluice::batch {
namespace {

constexpr ledger::Duration kLease = std::chrono::seconds(30);
// A unit is never used up: it is released, or reclaimed when its holder died.
constexpr int64_t kUnitAttempts = int64_t{1} << 40;

// The units job with as many units as the smallest limit (more would never run at once).
ledger::JobId OpenUnitsJob(ledger::Ledger& ledger, const std::string& chunk_job,
                           const std::vector<ledger::ResourceLimit>& resources) {
  int64_t units = resources.front().limit;
  for (const ledger::ResourceLimit& r : resources) units = std::min(units, r.limit);
  ledger::JobRecord job =
      ledger.CreateJob(chunk_job + " units", jobs::StampJobSpec(jobs::kAuxiliaryJobKind, "{}"));
  if (job.status != ledger::JobStatus::kRunning) ledger.ReopenJob(job.id);
  std::vector<ledger::PartitionSpec> specs;
  for (int64_t i = 0; i < units; ++i) {
    specs.push_back({fmt::format("unit-{:05d}", i), "{}", kUnitAttempts});
  }
  ledger.AddPartitions(job.id, specs);
  jobs::ReleaseLeasesOfDeadProcesses(ledger, job.id);
  return job.id;
}

}  // namespace

StepPermits::Permit::Permit(Permit&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), lease_(other.lease_) {}

StepPermits::Permit::~Permit() {
  if (owner_ != nullptr) owner_->Release(lease_);
}

StepPermits::StepPermits(const std::string& url, const std::string& chunk_job,
                         std::vector<ledger::ResourceLimit> resources)
    : ledger_(ledger::OpenLedger(url)),
      heartbeat_(mu_, held_, ledger::OpenLedger(url), kLease, kLease / 3) {
  job_ = OpenUnitsJob(*ledger_, chunk_job, resources);
  request_ = {.owner = jobs::LeaseOwner::ThisProcess().ToString(),
              .lease = kLease,
              .max_partitions = 1,
              .resources = std::move(resources)};
  heartbeat_.Start();
}

StepPermits::~StepPermits() {
  heartbeat_.Stop();
  std::vector<ledger::LeaseRef> left;
  {
    std::lock_guard lock(mu_);
    left = held_.TakeAll();
  }
  try {
    for (const ledger::LeaseRef& lease : left) ledger_->Release(lease);
    ledger_->FinishJob(job_, ledger::JobStatus::kDone, "{}");
  } catch (const std::exception& e) {
    // Units left held expire with their leases.
    SLUICE_LOG_WARN("giving back the steps' resource units: {}", e.what());
  }
}

StepPermits::Permit StepPermits::Acquire(const CancellationToken& cancel) {
  const Subscription wake = cancel.Subscribe([this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  ++waiting_;
  try {
    for (;;) {
      if (auto next = held_.StartNext(CancellationToken())) {
        --waiting_;
        return Permit(this, next->first.ref());
      }
      cancel.ThrowIfCancelled();
      if (claiming_) {
        cv_.wait(lock);
      } else {
        ClaimForWaiters(lock, cancel);
      }
    }
  } catch (...) {
    --waiting_;
    throw;
  }
}

void StepPermits::ClaimForWaiters(std::unique_lock<std::mutex>& lock,
                                  const CancellationToken& cancel) {
  claiming_ = true;
  try {
    for (;;) {
      const uint64_t seen = releases_;
      ledger::ClaimRequest request = request_;
      request.max_partitions = waiting_;  // one transaction for every thread waiting now
      lock.unlock();
      std::vector<ledger::Lease> leases;
      try {
        leases = ledger_->Claim(job_, request);
      } catch (...) {
        lock.lock();
        throw;
      }
      lock.lock();
      if (!leases.empty()) {
        held_.Add(std::move(leases), jobs::LeaseTable::Clock::now() + kLease);
        break;
      }
      cv_.wait_for(lock, kPollInterval, [&] { return releases_ != seen || cancel.cancelled(); });
      cancel.ThrowIfCancelled();
    }
  } catch (...) {
    claiming_ = false;
    cv_.notify_all();
    throw;
  }
  claiming_ = false;
  cv_.notify_all();
}

void StepPermits::Release(const ledger::LeaseRef& lease) {
  try {
    ledger_->Release(lease);
  } catch (const std::exception& e) {
    // Lost to a reclaim after its lease expired (Conflict), or the ledger is unreachable: the
    // unit comes back when its lease expires.
    SLUICE_LOG_WARN("giving back a resource unit: {}", e.what());
  }
  std::lock_guard lock(mu_);
  held_.Erase(jobs::LeaseTable::KeyOf(lease));
  ++releases_;
  cv_.notify_all();
}

}  // namespace sluice::batch
