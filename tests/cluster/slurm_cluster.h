// SlurmCluster: a real Slurm cluster on this one machine for multi-host tests: a controller
// (slurmctld and munged) on this machine's address of a private BridgeNetwork, and compute nodes
// n1..nN, each a NamespaceNode (own hostname, PID, mount and network namespaces, own address)
// running slurmd. PostgreSQL and Ceph's S3 gateway (the test servers of ledger/testing and
// io/fs/testing) listen on the controller's address too, since a node cannot reach this machine's
// loopback. The file system is shared by all. Settings and why: slurm_cluster.cc; background in
// docs/testing.md.
//
// Faults: KillNode (every process of the node at once, as a power loss), RestartNode (a fresh
// node with the same name and address; Slurm takes it back), SetNodeLinkUp and
// SetControllerLinkUp (`ip link set ... down`: a node's cable, or the controller's, which cuts
// every node from the controller and its servers).
//
// Needs root (Unavailable() says why not). Ownership: the object owns every process, the bridge
// and the directory /tmp/sluice-slurm-<pid>-*; the destructor tears all down. A test process that
// dies takes its daemons and nodes with it (PR_SET_PDEATHSIG); the next cluster deletes the
// bridge and directory it left. Thread safety: none; use from the test's thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cluster/bridge_network.h"
#include "cluster/host_process.h"
#include "cluster/namespace_node.h"
#include "sluice/io/fs/testing/s3_server.h"
#include "sluice/ledger/testing/postgres_server.h"

namespace sluice::testing {

class SpawnThread;

struct SlurmClusterOptions {
  int nodes = 3;          // 1..9, named n1..nN
  int cpus_per_node = 2;  // what each node tells Slurm (more than the machine has is fine)
  bool s3 = true;         // start the S3 gateway (several seconds)
};

class SlurmCluster {
 public:
  // Empty when a cluster can start here, else why not (not root, a program missing).
  static std::string Unavailable();

  // Starts everything and waits until every node is idle in Slurm. NotFound when a program is
  // missing, IoError (with the daemons' logs) when something does not come up.
  explicit SlurmCluster(SlurmClusterOptions options = {});
  ~SlurmCluster();
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // "n1".."nN"; i counts from 0.
  std::string NodeName(int i) const;
  std::string NodeAddress(int i) const;
  std::string ControllerAddress() const { return network_->HostAddress(); }

  ledger::testing::PostgresServer& postgres() { return *postgres_; }
  // Null unless options.s3.
  fs::testing::S3Server* s3() { return s3_.get(); }

  // What srun, sinfo and scontrol need in their environment (SLURM_CONF).
  Environment SlurmEnvironment() const;
  // {"srun", args...}, to run with SlurmEnvironment() from this machine.
  std::vector<std::string> Srun(const std::vector<std::string>& args) const;
  // `argv` run inside node i's namespaces, from this machine.
  std::vector<std::string> OnNode(int i, const std::vector<std::string>& argv) const;

  void KillNode(int i);
  bool NodeAlive(int i);
  // A dead node started again; returns once Slurm has it idle.
  void RestartNode(int i);
  void SetNodeLinkUp(int i, bool up);
  void SetControllerLinkUp(bool up);

  // Waits until every live node is idle in Slurm; IoError with the logs' tails after `timeout`.
  void WaitUntilIdle(std::chrono::seconds timeout = std::chrono::seconds(30));
  // Node name -> Slurm state ("idle", "down*", ...), from sinfo.
  std::vector<std::pair<std::string, std::string>> NodeStates() const;

  const std::filesystem::path& directory() const { return directory_; }
  // The last lines of the controller's, munged's and the nodes' logs, for failure messages.
  std::string LogTail(size_t bytes = 2000) const;

 private:
  void Start();
  void StartController();  // munged and slurmctld
  void StartNode(int i);
  void WriteConfig(int slurmctld_port) const;
  // `scontrol ARGS...`; IoError unless it succeeds.
  void Scontrol(const std::vector<std::string>& args) const;
  void Stop();
  HostProcessResult Sinfo() const;  // node and state, one line each

  SlurmClusterOptions options_;
  std::filesystem::path directory_;
  std::unique_ptr<SpawnThread> spawner_;
  std::unique_ptr<BridgeNetwork> network_;
  std::unique_ptr<ledger::testing::PostgresServer> postgres_;
  std::unique_ptr<fs::testing::S3Server> s3_;
  std::unique_ptr<HostProcess> munged_;
  std::unique_ptr<HostProcess> slurmctld_;
  std::vector<std::unique_ptr<NamespaceNode>> nodes_;
};

}  // namespace sluice::testing
