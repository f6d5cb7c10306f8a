#include "cluster/bridge_network.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "cluster/host_process.h"
#include "sluice/base/error.h"

namespace sluice::testing {
namespace {

std::atomic<int> next_sequence{0};

// The IPv4 networks (address, mask; host byte order) of this machine's interfaces.
std::vector<std::pair<uint32_t, uint32_t>> LocalNetworks() {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw IoErrorFromErrno(errno, "getifaddrs", "");
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_netmask == nullptr || a->ifa_addr->sa_family != AF_INET)
      continue;
    out.emplace_back(ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr),
                     ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr));
  }
  freeifaddrs(list);
  return out;
}

// A /24 in 10.64.0.0/10 that overlaps no local network, starting from one the process id picks.
std::string FreeSubnet(int sequence) {
  const auto used = LocalNetworks();
  const uint32_t start = static_cast<uint32_t>(getpid()) * 7 + static_cast<uint32_t>(sequence);
  for (uint32_t i = 0; i < 16384; ++i) {
    const uint32_t k = (start + i) % 16384;
    const uint32_t net = (10u << 24) | ((64u + (k >> 8)) << 16) | ((k & 255u) << 8);
    bool overlaps = false;
    for (const auto& [address, mask] : used) {
      const uint32_t common = mask & 0xffffff00u;  // the wider of the two masks
      overlaps = overlaps || (address & common) == (net & common);
    }
    if (!overlaps) return fmt::format("10.{}.{}", 64 + (k >> 8), k & 255);
  }
  throw IoError("no free /24 subnet in 10.64.0.0/10 for a test bridge");
}

bool ProcessGone(pid_t pid) { return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

BridgeNetwork::BridgeNetwork()
    : prefix_(fmt::format("slc{}", getpid())), sequence_(next_sequence++ % 100) {
  RemoveStale();
  bridge_ = fmt::format("{}b{}", prefix_, sequence_);
  subnet_ = FreeSubnet(sequence_);
  RunHostCommand({"ip", "link", "del", bridge_});  // one of this process's, somehow left
  CheckHostCommand({"ip", "link", "add", bridge_, "type", "bridge"});
  try {
    CheckHostCommand({"ip", "addr", "add", HostAddress() + "/24", "dev", bridge_});
    CheckHostCommand({"ip", "link", "set", bridge_, "up"});
  } catch (...) {
    RunHostCommand({"ip", "link", "del", bridge_});
    throw;
  }
}

BridgeNetwork::~BridgeNetwork() {
  for (int host = 2; host < 100; ++host) {
    const std::string veth = VethName(host);
    if (if_nametoindex(veth.c_str()) != 0) RunHostCommand({"ip", "link", "del", veth});
  }
  RunHostCommand({"ip", "link", "del", bridge_});
}

std::string BridgeNetwork::Address(int host) const { return fmt::format("{}.{}", subnet_, host); }

std::string BridgeNetwork::VethName(int host) const {
  return fmt::format("{}v{}{:02}", prefix_, sequence_, host);
}

std::string BridgeNetwork::Attach(pid_t pid, int host) {
  if (host < 2 || host > 99) throw InvalidArgument("bridge host number {} not in 2..99", host);
  const std::string veth = VethName(host);
  if (if_nametoindex(veth.c_str()) != 0) RunHostCommand({"ip", "link", "del", veth});
  CheckHostCommand({"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns",
                    std::to_string(pid)});
  CheckHostCommand({"ip", "link", "set", veth, "master", bridge_, "up"});
  // nsenter --net rather than `ip netns exec`, which remounts /sys (slurmd then finds no cgroup
  // file system); the namespace is the process's, unnamed.
  CheckHostCommand({"nsenter", fmt::format("--net=/proc/{}/ns/net", pid), "sh", "-c",
                    "\"$0\" addr add \"$1\" dev eth0 && \"$0\" link set eth0 up && "
                    "\"$0\" link set lo up",
                    FindProgram("ip"), Address(host) + "/24"});
  return veth;
}

void BridgeNetwork::SetLinkUp(const std::string& link, bool up) {
  CheckHostCommand({"ip", "link", "set", link, up ? "up" : "down"});
}

void BridgeNetwork::RemoveStale() {
  struct if_nameindex* names = if_nameindex();
  if (names == nullptr) return;
  std::vector<std::string> stale;
  for (struct if_nameindex* n = names; n->if_index != 0; ++n) {
    std::string_view name(n->if_name);
    if (!name.starts_with("slc")) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(n->if_name + 3));
    if (ProcessGone(pid)) stale.emplace_back(name);
  }
  if_freenameindex(names);
  for (const std::string& name : stale) RunHostCommand({"ip", "link", "del", name});
}

}  // namespace sluice::testing
