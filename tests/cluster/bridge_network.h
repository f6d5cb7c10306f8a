// BridgeNetwork: a private IPv4 network for a test cluster on one machine: a Linux bridge with
// its own /24 subnet, the machine's (the controller's) address .1 on it, and one veth per node
// whose other end is `eth0` in the node's network namespace. Names carry the creating process's
// id (bridge "slc<pid>b<n>", veths "slc<pid>v<n><host>") and the subnet is one no interface here
// uses, so two clusters (two tests at once) never collide; a new network first deletes the
// bridges of processes that are gone (a crashed test's). Traffic stays on the bridge: no route
// leads out of it. Needs root.
//
// Ownership: the object owns the bridge and the veths it made; the destructor deletes them (a
// namespace's end goes with its namespace). Thread safety: none; one owner.
#pragma once

#include <sys/types.h>

#include <string>

namespace sluice::testing {

class BridgeNetwork {
 public:
  // IoError when `ip` fails (not root, no bridge support).
  BridgeNetwork();
  ~BridgeNetwork();
  BridgeNetwork(const BridgeNetwork&) = delete;
  BridgeNetwork& operator=(const BridgeNetwork&) = delete;

  const std::string& bridge() const { return bridge_; }
  // "10.A.B.<host>"; host 1 is this machine's address on the bridge.
  std::string Address(int host) const;
  std::string HostAddress() const { return Address(1); }

  // Connects the network namespace of process `pid` (host 2..99): a veth whose namespace end is
  // eth0 with Address(host)/24, loopback up too. Replaces a veth left for the same host by a
  // namespace that died. Returns the name of the end on the bridge.
  std::string Attach(pid_t pid, int host);
  // `ip link set LINK up|down`: a veth from Attach (a node's cable), or bridge() (this machine's,
  // and so the controller's, link to every node).
  void SetLinkUp(const std::string& link, bool up);

  // Deletes links "slc<pid>..." (bridges, veth ends) whose process no longer exists.
  static void RemoveStale();

 private:
  std::string VethName(int host) const;

  std::string prefix_;  // "slc<pid>"
  int sequence_ = 0;    // distinguishes networks of one process
  std::string bridge_;
  std::string subnet_;  // "10.A.B"
};

}  // namespace sluice::testing
