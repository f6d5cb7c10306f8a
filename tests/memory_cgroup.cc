#include "memory_cgroup.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes text to a control file; "" on success, else the reason.
std::string WriteControl(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) return fmt::format("open {}: {}", path, std::strerror(errno));
  out << text << std::flush;
  if (!out) return fmt::format("write '{}' to {}: {}", text, path, std::strerror(errno));
  return "";
}

// The value after `key` in a "key value" per line file (memory.events, memory.oom_control).
int64_t KeyedValue(const std::string& path, const std::string& key) {
  std::istringstream in(ReadText(path));
  std::string k;
  int64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

int64_t Number(const std::string& path) {
  std::istringstream in(ReadText(path));
  int64_t v = 0;
  return in >> v ? v : 0;
}

struct Mount {
  std::string mountpoint;
  bool v2 = false;
};

// The hierarchy to create the cgroup in: v2 when its root delegates the memory controller to
// children, else v1's memory hierarchy.
std::optional<Mount> FindMemoryHierarchy(std::string* why_not) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::optional<Mount> v1, v2;
  std::string v2_note;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    if (dash[1] == "cgroup2" && !v2) {
      const std::string control = ReadText(f[4] + "/cgroup.subtree_control");
      if (control.find("memory") != std::string::npos) {
        v2 = Mount{f[4], true};
      } else {
        v2_note = fmt::format(" (cgroup v2 at {} does not enable the memory controller)", f[4]);
      }
    } else if (dash[1] == "cgroup" && !v1 &&
               ("," + dash[3] + ",").find(",memory,") != std::string::npos) {
      v1 = Mount{f[4], false};
    }
  }
  if (v2) return v2;
  if (v1) return v1;
  *why_not = "no cgroup hierarchy with the memory controller is mounted" + v2_note;
  return std::nullopt;
}

}  // namespace

std::unique_ptr<MemoryCgroup> MemoryCgroup::Create(int64_t limit_bytes, std::string* why_not) {
  std::optional<Mount> mount = FindMemoryHierarchy(why_not);
  if (!mount) return nullptr;
  static std::atomic<int> counter{0};
  std::unique_ptr<MemoryCgroup> cg(new MemoryCgroup());
  cg->v2_ = mount->v2;
  cg->limit_bytes_ = limit_bytes;
  const std::string path =
      fmt::format("{}/sluice_memtest_{}_{}", mount->mountpoint, getpid(), counter++);
  if (::mkdir(path.c_str(), 0755) != 0) {
    *why_not = fmt::format("cannot create the cgroup {}: {}{}", path, std::strerror(errno),
                           geteuid() == 0 ? "" : " (the memory suite needs root)");
    return nullptr;
  }
  cg->path_ = path;  // from here the destructor removes it
  const std::string limit = std::to_string(limit_bytes);
  std::string error;
  if (cg->v2_) {
    error = WriteControl(path + "/memory.max", limit);
    // No swap: a process over the limit must be killed, not swapped out and passed.
    if (error.empty() && fs::exists(path + "/memory.swap.max")) {
      error = WriteControl(path + "/memory.swap.max", "0");
    }
  } else {
    error = WriteControl(path + "/memory.limit_in_bytes", limit);
    if (error.empty() && fs::exists(path + "/memory.memsw.limit_in_bytes")) {
      error = WriteControl(path + "/memory.memsw.limit_in_bytes", limit);
    } else if (error.empty()) {
      error = WriteControl(path + "/memory.swappiness", "0");
    }
  }
  if (!error.empty()) {
    *why_not = "cannot limit the cgroup's memory: " + error;
    return nullptr;
  }
  return cg;
}

MemoryCgroup::~MemoryCgroup() {
  if (path_.empty()) return;
  // Whatever is left (a task a killed command started) goes first: a cgroup with processes cannot
  // be removed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream procs(ReadText(path_ + "/cgroup.procs"));
    bool any = false;
    for (pid_t pid; procs >> pid;) {
      any = true;
      ::kill(pid, SIGKILL);
    }
    if (!any && ::rmdir(path_.c_str()) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "warning: could not remove the cgroup %s: %s\n", path_.c_str(),
               std::strerror(errno));
}

std::string MemoryCgroup::Describe() const {
  return fmt::format("cgroup {} {} (limit {} MiB)", v2_ ? "v2" : "v1", path_,
                     limit_bytes_ / (1 << 20));
}

int64_t MemoryCgroup::OomKills() const {
  return v2_ ? KeyedValue(path_ + "/memory.events", "oom_kill")
             : KeyedValue(path_ + "/memory.oom_control", "oom_kill");
}

int64_t MemoryCgroup::PeakBytes() const {
  return v2_ ? Number(path_ + "/memory.peak") : Number(path_ + "/memory.max_usage_in_bytes");
}

MemoryCgroup::Usage MemoryCgroup::Now() const {
  std::istringstream in(ReadText(path_ + "/memory.stat"));
  std::map<std::string, int64_t> stat;
  std::string k;
  int64_t v = 0;
  while (in >> k >> v) stat[k] = v;
  if (v2_) return {stat["anon"], stat["file"], stat["file_dirty"] + stat["file_writeback"]};
  return {stat["rss"], stat["cache"], stat["dirty"] + stat["writeback"]};
}

CommandOutcome RunCommand(const MemoryCgroup* cgroup, const std::string& command,
                          const std::string& dir, int timeout_seconds) {
  CommandOutcome outcome;
  const std::string log = dir + "/.command_output";
  // The shell joins the cgroup before it execs the command: nothing of the command runs outside.
  std::string script = fmt::format("cd '{}' || exit 96; exec >'{}' 2>&1; ", dir, log);
  if (cgroup != nullptr) {
    script += fmt::format("echo $$ > '{}/cgroup.procs' || exit 97; ", cgroup->path());
  }
  script += "exec " + command;
  const int64_t oom_before = cgroup != nullptr ? cgroup->OomKills() : 0;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    outcome.output = fmt::format("fork: {}", std::strerror(errno));
    return outcome;
  }
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  const auto deadline = start + std::chrono::seconds(timeout_seconds);
  while (true) {
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (cgroup != nullptr) {
      const MemoryCgroup::Usage now = cgroup->Now();
      outcome.peak_anon_bytes = std::max(outcome.peak_anon_bytes, now.anon);
      outcome.peak_file_bytes = std::max(outcome.peak_file_bytes, now.file);
      outcome.peak_dirty_bytes = std::max(outcome.peak_dirty_bytes, now.dirty);
    }
    if (!outcome.timed_out && std::chrono::steady_clock::now() > deadline) {
      outcome.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  if (cgroup != nullptr) {
    outcome.oom_kills = cgroup->OomKills() - oom_before;
    outcome.cgroup_peak_bytes = cgroup->PeakBytes();
  }
  outcome.output = ReadText(log);
  fs::remove(log);
  if (outcome.exit_code == 97) outcome.output += "\n(could not join the cgroup)";
  return outcome;
}

}  // namespace sluice::testing
