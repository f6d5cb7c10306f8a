// NamespaceNode: a simulated host on this machine: a process tree in its own UTS (hostname), PID,
// mount (with its own /proc) and network namespaces, attached to a BridgeNetwork with its own
// address. Its PID 1 is a shell that sets the hostname, waits until the network is attached, then
// runs the node's main command (e.g. slurmd) and ends with it. The file system is the machine's.
//
// Killing the node's PID 1 kills every process in its PID namespace at once, as a host that loses
// power; the namespaces and the node's veth go with them. The node is started by `unshare
// --kill-child` with PR_SET_PDEATHSIG, so it also dies with the test process.
//
// Ownership: the object owns the node; the destructor kills it. Thread safety: none; one owner.
// Create it on a thread that outlives it (a SpawnThread): its PID 1 dies with the creating thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cluster/bridge_network.h"
#include "cluster/host_process.h"

namespace sluice::testing {

class NamespaceNode {
 public:
  // Starts the node as `hostname` with address network.Address(host); output to `log`. IoError
  // when the namespaces or the network cannot be set up.
  NamespaceNode(std::string hostname, BridgeNetwork& network, int host,
                const std::vector<std::string>& main_command, const std::filesystem::path& log,
                const Environment& env = {});
  ~NamespaceNode();
  NamespaceNode(const NamespaceNode&) = delete;
  NamespaceNode& operator=(const NamespaceNode&) = delete;

  const std::string& hostname() const { return hostname_; }
  const std::string& address() const { return address_; }
  // The node's end of the bridge (for BridgeNetwork::SetLinkUp).
  const std::string& link() const { return link_; }
  // Its PID 1 as this machine sees it.
  pid_t init_pid() const { return init_pid_; }
  bool alive();

  // SIGKILL to PID 1; returns when every process of the node is gone.
  void Kill();
  // `argv` run inside the node's namespaces (nsenter prefix).
  std::vector<std::string> Exec(const std::vector<std::string>& argv) const;

 private:
  pid_t FindInitPid();

  std::string hostname_;
  std::string address_;
  std::string link_;
  std::unique_ptr<HostProcess> unshare_;
  pid_t init_pid_ = 0;
};

}  // namespace sluice::testing
