// MemoryCgroup: a hard memory limit for the processes a test starts, as a container gives one. The
// test creates its own cgroup (cgroup v2 `memory.max` + `memory.swap.max` 0 when the machine has a
// unified hierarchy with the memory controller, else cgroup v1 `memory.limit_in_bytes` +
// `memory.memsw.limit_in_bytes`, or swappiness 0 where memsw is absent), runs commands inside it
// and removes it. It needs root (or a delegated hierarchy); Create says why when it cannot.
//
// RunCommand starts `/bin/sh -c`, which joins the cgroup and execs the command, so the command and
// every process it starts are limited from their first page; the result says whether the kernel
// OOM-killed it and how much memory the cgroup (page cache included) and the process (RSS) peaked
// at.
//
// Ownership: a MemoryCgroup owns its directory and kills what is left in it on destruction.
// Thread safety: one thread per instance.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace sluice::testing {

struct CommandOutcome {
  int exit_code = -1;          // the exit status, or -1 when killed by a signal
  int signal = 0;              // the signal that ended it, or 0
  bool timed_out = false;      // killed by RunCommand after timeout_seconds
  double seconds = 0;          // wall time
  int64_t peak_rss_bytes = 0;  // the process's peak RSS (its children's largest when larger)
  int64_t oom_kills = 0;       // OOM kills in the cgroup during the run (v1 oom_control, v2 events)
  int64_t cgroup_peak_bytes = 0;  // the cgroup's peak charge (RSS + page cache + kernel), 0 unknown
  // Sampled from memory.stat every 20 ms: the most anonymous memory (the processes' own), page
  // cache and dirty or under-writeback page cache the cgroup held at once.
  int64_t peak_anon_bytes = 0;
  int64_t peak_file_bytes = 0;
  int64_t peak_dirty_bytes = 0;
  std::string output;  // standard output and error
};

class MemoryCgroup {
 public:
  // A new cgroup limited to limit_bytes, or null with *why_not saying what is missing.
  static std::unique_ptr<MemoryCgroup> Create(int64_t limit_bytes, std::string* why_not);
  ~MemoryCgroup();
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;

  const std::string& path() const { return path_; }
  bool v2() const { return v2_; }
  int64_t limit_bytes() const { return limit_bytes_; }
  // "cgroup v1 /sys/fs/cgroup/memory/x (limit 144.0 MiB)".
  std::string Describe() const;

  // Cumulative OOM kills so far; the peak charge since creation (v1 max_usage_in_bytes, v2
  // memory.peak where the kernel has it, else 0).
  int64_t OomKills() const;
  int64_t PeakBytes() const;
  // Anonymous memory, page cache, and dirty plus under-writeback page cache charged now.
  struct Usage {
    int64_t anon = 0, file = 0, dirty = 0;
  };
  Usage Now() const;

 private:
  MemoryCgroup() = default;
  std::string path_;
  bool v2_ = false;
  int64_t limit_bytes_ = 0;
};

// Runs `command` (a shell command line) with cwd `dir`, inside `cgroup` unless it is null; kills it
// after timeout_seconds.
CommandOutcome RunCommand(const MemoryCgroup* cgroup, const std::string& command,
                          const std::string& dir, int timeout_seconds);

}  // namespace sluice::testing
