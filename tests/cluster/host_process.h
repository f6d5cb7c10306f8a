// HostProcess: a program the cluster harness starts on this machine (a daemon, `ip`, `srun`, or,
// through a node's `nsenter` prefix, a command inside a node). Standard output and error go to a
// log file, or to an anonymous memory file when none is named; the environment is this process's
// plus the given variables. The child gets SIGKILL when the thread that started it ends
// (PR_SET_PDEATHSIG), so a crashed test leaves no daemon behind: long-lived daemons are started on
// a sluice::testing::SpawnThread.
//
// Ownership: the object owns the child; the destructor kills and reaps it if it still runs.
// Thread safety: none; one owner. RunHostCommand may be called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace sluice::testing {

using Environment = std::vector<std::pair<std::string, std::string>>;

struct HostProcessResult {
  int exit_code = -1;      // the exit status, or -1 when a signal ended it
  int signal = 0;          // the signal that ended it, or 0
  bool timed_out = false;  // killed by Wait after its timeout
  std::string output;      // standard output and error (the log's tail for a log file)

  bool ok() const { return exit_code == 0; }
};

class HostProcess {
 public:
  // argv[0] is looked up in PATH, /usr/sbin and /sbin; NotFound when it is nowhere. `log` empty:
  // output kept in memory. `stdin_fd` >= 0 becomes the child's standard input (else /dev/null).
  HostProcess(const std::vector<std::string>& argv, const std::filesystem::path& log = {},
              const Environment& env = {}, int stdin_fd = -1);
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal` if the process still runs.
  void Signal(int signal);
  // Waits for the exit; SIGKILL after `timeout` (timed_out set).
  HostProcessResult Wait(std::chrono::milliseconds timeout);
  // What it has written so far (the last `bytes`).
  std::string Output(size_t bytes = 64 * 1024) const;

 private:
  pid_t pid_ = 0;
  int status_ = 0;
  int output_fd_ = -1;
};

// Runs a command to completion (SIGKILL after `timeout`).
HostProcessResult RunHostCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                 const Environment& env = {});
// The same; IoError naming the command, with its output, unless it exits 0. Returns the output.
std::string CheckHostCommand(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30),
                             const Environment& env = {});
// The absolute path of a program (PATH, then /usr/sbin and /sbin), or empty.
std::string FindProgram(const std::string& name);

}  // namespace sluice::testing
