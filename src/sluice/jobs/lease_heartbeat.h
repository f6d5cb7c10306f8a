// LeaseHeartbeat: the thread that renews a worker's leases every interval, on a ledger connection
// of its own (which gives up reconnecting within one interval, so that leases are dropped before
// they can expire), and applies the answers to the worker's LeaseTable.
//
// Thread safety: Start and Stop are called from one thread. The table is touched only while
// holding `mu`, the mutex the worker guards it with.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "sluice/jobs/lease_table.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

class LeaseHeartbeat {
 public:
  // `lease`: the duration a renewal grants; `interval`: between renewals.
  LeaseHeartbeat(std::mutex& mu, LeaseTable& leases, std::unique_ptr<ledger::Ledger> ledger,
                 ledger::Duration lease, ledger::Duration interval);
  ~LeaseHeartbeat();
  LeaseHeartbeat(const LeaseHeartbeat&) = delete;
  LeaseHeartbeat& operator=(const LeaseHeartbeat&) = delete;

  void Start();
  // Stops the thread and joins it; a no-op when not running.
  void Stop();

 private:
  void Loop();

  std::mutex& mu_;
  LeaseTable& leases_;  // guarded by mu_
  std::unique_ptr<ledger::Ledger> ledger_;
  ledger::Duration lease_;
  ledger::Duration interval_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace sluice::jobs
