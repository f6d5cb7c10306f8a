#include "cluster/slurm_cluster.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/testing/child_process.h"
#include "sluice/base/testing/daemon_files.h"
#include "sluice/base/testing/loopback.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPrograms[] = {"slurmctld", "slurmd",  "srun",    "sinfo", "scontrol",
                                     "munged",    "unshare", "nsenter", "ip",    "hostname"};

// munge's shared secret: 1 KiB of random bytes, readable by root only (munged checks).
void WriteMungeKey(const std::filesystem::path& path) {
  std::random_device random;
  std::string key(1024, '\0');
  for (char& c : key) c = static_cast<char>(random());
  std::ofstream(path, std::ios::binary) << key;
  if (chmod(path.c_str(), 0400) != 0) throw IoErrorFromErrno(errno, "chmod", path.string());
}

}  // namespace

std::string SlurmCluster::Unavailable() {
  if (geteuid() != 0) return "the Slurm cluster test needs root (namespaces, a bridge)";
  for (const char* program : kPrograms) {
    if (FindProgram(program).empty()) {
      return fmt::format(
          "no {}: install slurm-wlm, slurmctld, slurmd, munge and iproute2 (scripts/deps.sh)",
          program);
    }
  }
  return "";
}

SlurmCluster::SlurmCluster(SlurmClusterOptions options)
    : options_(options), spawner_(std::make_unique<SpawnThread>()) {
  if (options_.nodes < 1 || options_.nodes > 9) {
    throw InvalidArgument("a test Slurm cluster has 1 to 9 nodes, not {}", options_.nodes);
  }
  if (std::string why = Unavailable(); !why.empty()) throw NotFound("{}", why);
  RemoveDirectoriesOfDeadProcesses("sluice-slurm-");
  std::string pattern = fmt::format("/tmp/sluice-slurm-{}-XXXXXX", getpid());
  if (mkdtemp(pattern.data()) == nullptr) throw IoErrorFromErrno(errno, "mkdtemp", pattern);
  directory_ = pattern;
  try {
    Start();
  } catch (...) {
    Stop();
    throw;
  }
}

SlurmCluster::~SlurmCluster() { Stop(); }

void SlurmCluster::Start() {
  // munged checks that its socket's directory is not writable by others and is searchable.
  chmod(directory_.c_str(), 0755);
  for (const char* sub : {"munge", "ctl", "ctl/state"}) {
    std::filesystem::create_directories(directory_ / sub);
  }
  network_ = std::make_unique<BridgeNetwork>();
  const std::string address = ControllerAddress();
  // The gateway (the slowest, several seconds) starts while the rest comes up; its server forks
  // from a thread of its own, so this short-lived thread may create it.
  std::future<std::unique_ptr<fs::testing::S3Server>> s3;
  if (options_.s3) {
    s3 = std::async(std::launch::async, [address] {
      return std::make_unique<fs::testing::S3Server>(
          fs::testing::S3ServerOptions{.listen_address = address});
    });
  }
  postgres_ = std::make_unique<ledger::testing::PostgresServer>(
      ledger::testing::PostgresServerOptions{.listen_address = address});
  postgres_->Start();
  WriteMungeKey(directory_ / "munge" / "key");
  WriteConfig(FreeLoopbackPort());
  StartController();
  for (int i = 0; i < options_.nodes; ++i) {
    std::filesystem::create_directories(directory_ / NodeName(i) / "spool");
    nodes_.emplace_back();
    StartNode(i);
  }
  WaitUntilIdle();
  if (s3.valid()) s3_ = s3.get();
}

void SlurmCluster::StartController() {
  const std::string munge = (directory_ / "munge").string();
  const std::string conf = (directory_ / "slurm.conf").string();
  const std::string slurmctld = FindProgram("slurmctld");
  spawner_->Run([&] {
    munged_ = std::make_unique<HostProcess>(
        std::vector<std::string>{"munged", "--foreground", "--key-file=" + munge + "/key",
                                 "--socket=" + munge + "/socket", "--pid-file=" + munge + "/pid",
                                 "--seed-file=" + munge + "/seed", "--log-file=" + munge + "/log"},
        directory_ / "munge" / "out");
    // slurmctld runs only on the host named by SlurmctldHost: its own UTS namespace says "ctl".
    slurmctld_ = std::make_unique<HostProcess>(
        std::vector<std::string>{"unshare", "--uts", "sh", "-c",
                                 "hostname ctl && exec \"$0\" -D -f \"$1\"", slurmctld, conf},
        directory_ / "ctl" / "out");
    return 0;
  });
}

void SlurmCluster::WriteConfig(int slurmctld_port) const {
  const std::string dir = directory_.string();
  std::ofstream conf(directory_ / "slurm.conf");
  conf << "ClusterName=sluice" << getpid() << "\n"
       << "SlurmctldHost=ctl(" << ControllerAddress() << ")\n"
       << "SlurmctldPort=" << slurmctld_port << "\n"  // slurmctld binds every address
       << "SlurmUser=root\nSlurmdUser=root\n"
       << "AuthType=auth/munge\nCredType=cred/munge\n"
       // Our own munged. cred_expire: the default 120 s holds a requeued job PENDING that long.
       << "AuthInfo=socket=" << dir << "/munge/socket,cred_expire=10\n"
       << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
       << "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\n"
       << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
       // Nodes may claim more CPUs than the machine has (else "Low socket*core*thread count").
       << "SlurmdParameters=config_overrides\n"
       // A dead node is DOWN after about 35 s (a 20 s link cut is not a death), a restarted one
       // taken back, requeues run soon.
       << "MessageTimeout=5\nSlurmdTimeout=30\nReturnToService=2\n"
       << "SchedulerParameters=sched_interval=2,bf_interval=5\n"
       << "StateSaveLocation=" << dir << "/ctl/state\n"
       << "SlurmctldPidFile=" << dir << "/ctl/slurmctld.pid\n"
       << "SlurmctldLogFile=" << dir << "/ctl/slurmctld.log\n"
       << "SlurmdSpoolDir=" << dir << "/%n/spool\n"
       << "SlurmdPidFile=" << dir << "/%n/slurmd.pid\n"
       << "SlurmdLogFile=" << dir << "/%n/slurmd.log\n";
  std::string names;
  for (int i = 0; i < options_.nodes; ++i) {
    conf << "NodeName=" << NodeName(i) << " NodeAddr=" << network_->Address(11 + i)
         << " CPUs=" << options_.cpus_per_node << " RealMemory=4000\n";
    names += (i > 0 ? "," : "") + NodeName(i);
  }
  // LLN: spread jobs over the nodes rather than filling the first.
  conf << "PartitionName=main Nodes=" << names
       << " Default=YES MaxTime=INFINITE State=UP LLN=YES\n";
}

void SlurmCluster::StartNode(int i) {
  const std::string name = NodeName(i);
  std::vector<std::string> slurmd = {
      FindProgram("slurmd"), "-D", "-N", name, "-f", (directory_ / "slurm.conf").string()};
  spawner_->Run([&] {
    nodes_.at(i) =
        std::make_unique<NamespaceNode>(name, *network_, 11 + i, slurmd, directory_ / name / "out");
    return 0;
  });
}

void SlurmCluster::Stop() {
  nodes_.clear();  // each node killed whole
  // SIGKILL: the controller's state is thrown away with the directory, so it need not save it.
  slurmctld_.reset();
  if (munged_ != nullptr) {
    munged_->Signal(SIGTERM);
    munged_->Wait(10s);
    munged_.reset();
  }
  s3_.reset();
  postgres_.reset();
  network_.reset();
  std::error_code ec;
  if (!directory_.empty()) std::filesystem::remove_all(directory_, ec);
}

std::string SlurmCluster::NodeName(int i) const { return fmt::format("n{}", i + 1); }

std::string SlurmCluster::NodeAddress(int i) const { return network_->Address(11 + i); }

Environment SlurmCluster::SlurmEnvironment() const {
  return {{"SLURM_CONF", (directory_ / "slurm.conf").string()}};
}

std::vector<std::string> SlurmCluster::Srun(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"srun"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> SlurmCluster::OnNode(int i, const std::vector<std::string>& argv) const {
  return nodes_.at(i)->Exec(argv);
}

void SlurmCluster::KillNode(int i) { nodes_.at(i)->Kill(); }

bool SlurmCluster::NodeAlive(int i) { return nodes_.at(i)->alive(); }

void SlurmCluster::RestartNode(int i) {
  nodes_.at(i)->Kill();
  // Slurm may not have noticed the death yet, or still waits for the dead node to finish a job
  // (COMPLETING): marked DOWN, everything of the old node is over; RESUME takes the new one back.
  Scontrol({"update", "NodeName=" + NodeName(i), "State=DOWN", "Reason=restarted by the test"});
  StartNode(i);
  // With ReturnToService=2 the new slurmd's registration may have taken the node back already,
  // and RESUME is then refused ("Invalid node state specified"): only a node still down is an
  // error.
  HostProcessResult resume = RunHostCommand(
      {"scontrol", "update", "NodeName=" + NodeName(i), "State=RESUME"}, 20s, SlurmEnvironment());
  if (resume.ok()) return;
  for (const auto& [name, state] : NodeStates()) {
    if (name == NodeName(i) && state.starts_with("down")) {
      throw IoError("scontrol could not resume the restarted node {}: {}", name, resume.output);
    }
  }
  WaitUntilIdle();
}

void SlurmCluster::Scontrol(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"scontrol"};
  argv.insert(argv.end(), args.begin(), args.end());
  CheckHostCommand(argv, 20s, SlurmEnvironment());
}

void SlurmCluster::SetNodeLinkUp(int i, bool up) { network_->SetLinkUp(nodes_.at(i)->link(), up); }

void SlurmCluster::SetControllerLinkUp(bool up) { network_->SetLinkUp(network_->bridge(), up); }

HostProcessResult SlurmCluster::Sinfo() const {
  return RunHostCommand({"sinfo", "--noheader", "--Node", "--format=%N %t"}, 10s,
                        SlurmEnvironment());
}

std::vector<std::pair<std::string, std::string>> SlurmCluster::NodeStates() const {
  HostProcessResult sinfo = Sinfo();
  if (!sinfo.ok()) throw IoError("sinfo failed: {}", sinfo.output);
  std::vector<std::pair<std::string, std::string>> out;
  std::stringstream lines(sinfo.output);
  for (std::string name, state; lines >> name >> state;) out.emplace_back(name, state);
  return out;
}

void SlurmCluster::WaitUntilIdle(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!slurmctld_->Running() || !munged_->Running()) {
      throw IoError("the test Slurm controller or munged exited: {}", LogTail());
    }
    HostProcessResult sinfo = Sinfo();
    bool ready = sinfo.ok();
    for (int i = 0; ready && i < size(); ++i) {
      ready = !NodeAlive(i) || sinfo.output.find(NodeName(i) + " idle\n") != std::string::npos;
    }
    if (ready) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw IoError("the test Slurm nodes were not idle within {} s; sinfo: {}\n{}",
                    timeout.count(), sinfo.output, LogTail());
    }
    std::this_thread::sleep_for(100ms);
  }
}

std::string SlurmCluster::LogTail(size_t bytes) const {
  std::string out;
  std::vector<std::filesystem::path> logs = {"munge/log", "munge/out", "ctl/out",
                                             "ctl/slurmctld.log"};
  for (int i = 0; i < options_.nodes; ++i) {
    logs.push_back(std::filesystem::path(NodeName(i)) / "out");
    logs.push_back(std::filesystem::path(NodeName(i)) / "slurmd.log");
  }
  for (const auto& log : logs) {
    std::string tail = FileTail(directory_ / log, bytes);
    if (!tail.empty()) out += fmt::format("\n--- {} ---\n{}", log.string(), tail);
  }
  return out;
}

}  // namespace sluice::testing
