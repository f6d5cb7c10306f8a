// StepPermits: units of a batched job's ledger resources (BatchedOptions::resources, `--limit
// warehouse=128`) held by a chunk's step only while one of its attempts runs, counted across every
// process of the job, so the chunks being computed hold none.
//
// The ledger counts resource units only for running partitions, so the units are the partitions
// of a second ledger job beside the chunks' ("<chunk job> units", as many as the smallest limit):
// an attempt claims one with the resources (the ledger hands out no more than each limit across
// hosts), the heartbeat keeps it renewed, and it is released when the attempt ends (uncharged,
// claimable again at once). A process that dies holding units loses them when their leases
// expire, or at once to the next run on its host (jobs::ReleaseLeasesOfDeadProcesses).
//
// One thread of the process asks the ledger at a time, for as many units as threads are waiting
// (one transaction hands out many); the others wait for it. While no unit is free it asks again
// when this process releases one, or every kPollInterval (for releases by other processes).
//
// Thread safety: Acquire and the Permits it returns may be used from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/jobs/lease_heartbeat.h"
#include "sluice/jobs/lease_table.h"
#include "sluice/ledger/ledger.h"

namespace sluice::batch {

class StepPermits {
 public:
  static constexpr std::chrono::milliseconds kPollInterval{100};

  // A unit of every resource, released when destroyed.
  class Permit {
   public:
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&&) = delete;
    ~Permit();

   private:
    friend class StepPermits;
    Permit(StepPermits* owner, ledger::LeaseRef lease) : owner_(owner), lease_(lease) {}
    StepPermits* owner_;
    ledger::LeaseRef lease_;
  };

  // Opens the units job of `chunk_job` in the ledger at `url` (created, or reopened with a unit
  // added when a limit grew) and gives back units of dead processes of this host. `resources` is
  // not empty.
  StepPermits(const std::string& url, const std::string& chunk_job,
              std::vector<ledger::ResourceLimit> resources);
  // Releases what is still held; marks the units job done (claims do not look at it).
  ~StepPermits();
  StepPermits(const StepPermits&) = delete;
  StepPermits& operator=(const StepPermits&) = delete;

  // Blocks until a unit of every resource is held. Cancelled when `cancel` fires; the ledger's
  // errors as they come.
  Permit Acquire(const CancellationToken& cancel);

 private:
  // Claims units for the threads waiting (at least one), waiting for releases while none is
  // free, and queues them in held_; called with `lock` held, by one thread at a time.
  void ClaimForWaiters(std::unique_lock<std::mutex>& lock, const CancellationToken& cancel);
  void Release(const ledger::LeaseRef& lease);

  std::unique_ptr<ledger::Ledger> ledger_;
  ledger::JobId job_ = 0;
  ledger::ClaimRequest request_;
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_:
  jobs::LeaseTable held_;  // queued: claimed for a waiting thread, not taken yet
  bool claiming_ = false;  // a thread is asking the ledger
  int64_t waiting_ = 0;    // threads in Acquire
  uint64_t releases_ = 0;  // units this process released so far
  jobs::LeaseHeartbeat heartbeat_;
};

}  // namespace sluice::batch
