#include "cluster/host_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "sluice/base/error.h"

extern char** environ;

namespace sluice::testing {
namespace {

// environ with `env` set over it, as "NAME=VALUE" strings.
std::vector<std::string> MergedEnvironment(const Environment& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : env) {
      replaced = replaced || (entry.starts_with(name) && entry.size() > name.size() &&
                              entry[name.size()] == '=');
    }
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The last `bytes` of what fd holds (read from offset 0, whatever its position).
std::string ReadTail(int fd, size_t bytes) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) return {};
  size_t size = static_cast<size_t>(st.st_size);
  size_t start = size > bytes ? size - bytes : 0;
  std::string out(size - start, '\0');
  ssize_t n = pread(fd, out.data(), out.size(), static_cast<off_t>(start));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(std::string(path != nullptr ? path : "/usr/bin:/bin") +
                         ":/usr/sbin:/sbin:/usr/local/sbin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

HostProcess::HostProcess(const std::vector<std::string>& argv, const std::filesystem::path& log,
                         const Environment& env, int stdin_fd) {
  std::vector<std::string> args = argv;
  args.at(0) = FindProgram(argv[0]);
  if (args[0].empty()) throw NotFound("no program {} (scripts/deps.sh installs it)", argv[0]);
  std::vector<std::string> envp = MergedEnvironment(env);
  std::vector<char*> c_args = Pointers(args);
  std::vector<char*> c_env = Pointers(envp);
  output_fd_ = log.empty() ? memfd_create("host-process-output", MFD_CLOEXEC)
                           : open(log.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (output_fd_ < 0) throw IoErrorFromErrno(errno, "open output of", argv[0]);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    const int error = errno;
    close(output_fd_);
    throw IoErrorFromErrno(error, "fork", argv[0]);
  }
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    dup2(output_fd_, STDOUT_FILENO);
    dup2(output_fd_, STDERR_FILENO);
    int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, STDIN_FILENO);
    setsid();  // no terminal signals: Ctrl-C goes to the test, which then tears down
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);
    execve(c_args[0], c_args.data(), c_env.data());
    _exit(127);
  }
}

HostProcess::~HostProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (output_fd_ >= 0) close(output_fd_);
}

bool HostProcess::Running() {
  if (pid_ > 0 && waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = 0;
  return pid_ > 0;
}

void HostProcess::Signal(int signal) {
  if (Running()) kill(pid_, signal);
}

HostProcessResult HostProcess::Wait(std::chrono::milliseconds timeout) {
  HostProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      pid_ = 0;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) result.exit_code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) result.signal = WTERMSIG(status_);
  result.output = Output();
  return result;
}

std::string HostProcess::Output(size_t bytes) const { return ReadTail(output_fd_, bytes); }

HostProcessResult RunHostCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, const Environment& env) {
  return HostProcess(argv, {}, env).Wait(timeout);
}

std::string CheckHostCommand(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout, const Environment& env) {
  HostProcessResult result = RunHostCommand(argv, timeout, env);
  if (!result.ok()) {
    std::string command;
    for (const std::string& arg : argv) command += (command.empty() ? "" : " ") + arg;
    throw IoError("`{}` failed (exit {}, signal {}{}): {}", command, result.exit_code,
                  result.signal, result.timed_out ? ", timed out" : "", result.output);
  }
  return result.output;
}

}  // namespace sluice::testing
