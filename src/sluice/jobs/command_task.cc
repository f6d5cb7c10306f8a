#include "sluice/jobs/command_task.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "sluice/base/error.h"

extern char** environ;

namespace sluice::jobs {
namespace {

// PATH lookup in the parent: after fork only async-signal-safe calls are allowed.
std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw NotFound("command not found in PATH").With("command", name);
}

std::string Describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

void RunCommand(const CommandTemplate& command, const CommandTaskOptions& options,
                const TaskContext& context) {
  std::vector<std::string> argv = command.Expand(context.lease, context.output_dir.string());
  std::string program = ResolveProgram(argv[0]);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("SLUICE_JOB_KEY=" + context.lease.key);
  env_strings.push_back("SLUICE_PARTITION=" + std::to_string(context.lease.partition_id));
  env_strings.push_back("SLUICE_ATTEMPT=" + std::to_string(context.lease.attempt));
  env_strings.push_back("SLUICE_OUTPUT=" + context.output_dir.string());
  std::vector<char*> c_argv, c_env;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw IoErrorFromErrno(errno, "pipe", program);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int error = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    throw IoErrorFromErrno(error, "fork", program);
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(pipe_fds[1], 2);
    execve(program.c_str(), c_argv.data(), c_env.data());
    const char message[] = "sluice: cannot execute the command\n";
    (void)!write(2, message, sizeof(message) - 1);
    _exit(127);
  }
  close(pipe_fds[1]);
  setpgid(pid, pid);  // also from the parent, so a kill right away reaches the group
  std::atomic<bool> killed{false};
  Subscription on_cancel = context.cancel.Subscribe([pid, &killed] {
    killed = true;
    kill(-pid, SIGKILL);
  });
  std::string tail;
  char buffer[4096];
  while (true) {
    ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    tail.append(buffer, static_cast<size_t>(n));
    if (tail.size() > 2 * options.stderr_tail_bytes) {
      tail.erase(0, tail.size() - options.stderr_tail_bytes);
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  on_cancel = Subscription();
  if (killed) throw Cancelled("command killed: {}", context.cancel.reason());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (tail.size() > options.stderr_tail_bytes) {
    tail.erase(0, tail.size() - options.stderr_tail_bytes);
  }
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  throw IoError("command failed with {}{}{}", Describe(status), tail.empty() ? "" : ": ", tail)
      .With("command", argv[0]);
}

}  // namespace

PartitionTask MakeCommandTask(CommandTemplate command, CommandTaskOptions options) {
  return [command = std::move(command), options](const TaskContext& context) {
    RunCommand(command, options, context);
  };
}

}  // namespace sluice::jobs
