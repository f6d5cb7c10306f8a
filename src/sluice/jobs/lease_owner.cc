#include "sluice/jobs/lease_owner.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

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

}  // namespace sluice::jobs
