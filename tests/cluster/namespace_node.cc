#include "cluster/namespace_node.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "sluice/base/error.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

// PID 1 of the node: hostname, wait for "go" (the network is attached), then the main command.
// `wait` also reaps the processes orphaned onto PID 1.
constexpr const char* kInitScript =
    "hostname \"$0\" || exit 1; read go || exit 1; [ \"$go\" = go ] || exit 1; "
    "exec </dev/null; \"$@\" & wait $!";

}  // namespace

NamespaceNode::NamespaceNode(std::string hostname, BridgeNetwork& network, int host,
                             const std::vector<std::string>& main_command,
                             const std::filesystem::path& log, const Environment& env)
    : hostname_(std::move(hostname)), address_(network.Address(host)) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) throw IoErrorFromErrno(errno, "pipe", hostname_);
  std::vector<std::string> argv = {"unshare", "--uts",        "--pid",     "--fork",
                                   "--mount", "--mount-proc", "--net",     "--kill-child",
                                   "sh",      "-c",           kInitScript, hostname_};
  argv.insert(argv.end(), main_command.begin(), main_command.end());
  try {
    unshare_ = std::make_unique<HostProcess>(argv, log, env, go[0]);
    close(go[0]);
    go[0] = -1;
    init_pid_ = FindInitPid();
    link_ = network.Attach(init_pid_, host);
  } catch (...) {
    if (go[0] >= 0) close(go[0]);
    close(go[1]);
    throw;
  }
  const bool sent = write(go[1], "go\n", 3) == 3;
  close(go[1]);
  if (!sent) throw IoError("node {} ended during start-up: {}", hostname_, unshare_->Output(2000));
}

NamespaceNode::~NamespaceNode() { Kill(); }

pid_t NamespaceNode::FindInitPid() {
  const std::string children =
      fmt::format("/proc/{0}/task/{0}/children", static_cast<int>(unshare_->pid()));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(children);
    long pid = 0;
    if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
    if (!unshare_->Running()) break;
    std::this_thread::sleep_for(5ms);
  }
  throw IoError("node {}: unshare started no PID 1 (namespaces need root): {}", hostname_,
                unshare_->Output(2000));
}

bool NamespaceNode::alive() { return unshare_ != nullptr && unshare_->Running(); }

void NamespaceNode::Kill() {
  if (!alive()) return;
  kill(init_pid_, SIGKILL);
  // unshare exits once its child, PID 1, is reaped, which the kernel does only after every other
  // process of the PID namespace is gone.
  unshare_->Wait(10s);
}

std::vector<std::string> NamespaceNode::Exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {
      "nsenter", "--target", std::to_string(init_pid_), "--uts", "--pid", "--mount", "--net", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace sluice::testing
