// LeaseOwner: who holds a lease, as the ledger stores it. A worker that is not given an owner
// name signs its leases "host:pid", which lets a later run on the same host tell leases of
// processes that have died (a killed earlier run) from leases of processes still working, and
// give the dead ones back at once instead of waiting for them to expire.
//
// Thread safety: a plain value; the static functions may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

struct LeaseOwner {
  std::string host;
  int pid = 0;

  // This process on this host.
  static LeaseOwner ThisProcess();
  // nullopt when the text is not "host:pid" (an owner name chosen by the user).
  static std::optional<LeaseOwner> Parse(std::string_view text);

  // "host:pid".
  std::string ToString() const;
  // True when this names a process of this host, other than this process, that no longer
  // exists; false when it may still run (or runs elsewhere, or cannot be told).
  bool IsDeadLocalProcess() const;

  bool operator==(const LeaseOwner&) const = default;
};

// Gives back, uncharged, the running partitions of `job` whose lease owner is a process of this
// host that no longer exists (a killed run, or one stopped by an error its ledger could not
// record, such as a full disk), so that a resumed run claims them at once instead of after their
// leases expire, and its output sweep removes their attempts' files. Returns how many.
int64_t ReleaseLeasesOfDeadProcesses(ledger::Ledger& ledger, ledger::JobId job);

}  // namespace sluice::jobs
