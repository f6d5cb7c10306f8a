#include "sluice/jobs/lease_owner.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "sluice/base/error.h"
#include "sluice/base/log.h"

namespace sluice::jobs {
namespace {

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

}  // namespace

LeaseOwner LeaseOwner::ThisProcess() { return {HostName(), static_cast<int>(getpid())}; }

std::optional<LeaseOwner> LeaseOwner::Parse(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  LeaseOwner owner{std::string(text.substr(0, colon)), 0};
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, owner.pid);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return owner;
}

std::string LeaseOwner::ToString() const { return host + ":" + std::to_string(pid); }

bool LeaseOwner::IsDeadLocalProcess() const {
  if (pid <= 0 || pid == getpid() || host != HostName()) return false;
  // Signal 0 checks for existence only; EPERM means it exists under another user.
  return kill(pid, 0) != 0 && errno == ESRCH;
}

int64_t ReleaseLeasesOfDeadProcesses(ledger::Ledger& ledger, ledger::JobId job) {
  int64_t released = 0;
  ledger::PartitionQuery running{.status = ledger::PartitionStatus::kRunning};
  for (std::vector<ledger::PartitionRecord> page;
       !(page = ledger.ListPartitions(job, running)).empty(); running.after_id = page.back().id) {
    for (const ledger::PartitionRecord& p : page) {
      std::optional<LeaseOwner> owner = LeaseOwner::Parse(p.lease_owner);
      if (!owner || !owner->IsDeadLocalProcess()) continue;
      try {
        ledger.Release({p.id, p.attempt});
        ++released;
        SLUICE_LOG_INFO("partition {}: gave back attempt {} of process {}, which is gone", p.key,
                        p.attempt, owner->pid);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kConflict) throw;  // taken over meanwhile: nothing to give back
      }
    }
  }
  return released;
}

}  // namespace sluice::jobs
