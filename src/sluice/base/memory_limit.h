// MemoryLimit: how much memory this process may use, as the kernel will enforce it: the smallest
// memory limit among the cgroups it runs in (cgroup v2 `memory.max`, cgroup v1
// `memory.limit_in_bytes`, each cgroup and its ancestors up to the hierarchy's root) when there
// is one, else the machine's physical memory (MemTotal). DefaultMemoryBudget turns it into the
// budget a job gets without --memory, as DuckDB (80% of RAM) and the JVM (MaxRAMPercentage) size
// their defaults from the container's limit.
//
// Thread safety: DetectMemoryLimit and DefaultMemoryBudget are pure functions of the files they
// read; ProcessMemoryLimit detects once (thread-safe static) and returns the same value after.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace sluice {

struct MemoryLimit {
  // What the process may use: the cgroup limit when there is one below physical memory, else
  // physical memory. Never 0: 1 GiB when nothing can be read.
  int64_t bytes = 0;
  // MemTotal of /proc/meminfo (sysconf when that cannot be read); 0 when unknown.
  int64_t physical_bytes = 0;
  // The smallest cgroup limit found and the cgroup directory that sets it (e.g.
  // "/sys/fs/cgroup/memory/job"); 0 and "" when no cgroup limits memory.
  int64_t cgroup_bytes = 0;
  std::string cgroup;

  // "the cgroup limit of /sys/fs/cgroup/memory/job (512 MiB)" or "physical memory (23.5 GiB)".
  std::string Describe() const;
};

// Reads the cgroup and memory files under `root` ("/" for the running system; tests give a
// directory holding fake proc/self/cgroup, proc/self/mountinfo, proc/meminfo and sys/fs/cgroup
// trees). Cgroup mounts come from mountinfo (its root field maps a namespaced or bind-mounted
// hierarchy), with /sys/fs/cgroup/memory (v1) and /sys/fs/cgroup (v2) as the fallback when it has
// none. "max" (v2) and v1's page-rounded LONG_MAX mean no limit; a hybrid system's v1 and v2 limits
// both count.
MemoryLimit DetectMemoryLimit(const std::filesystem::path& root);

// DetectMemoryLimit("/"), read once per process.
const MemoryLimit& ProcessMemoryLimit();

// The budget a job gets without --memory, out of `limit_bytes` the process may use:
// kDefaultBudgetPercent of what is left after the allowance's fixed 64 MiB, and never below a
// quarter of the limit. See the definition for why 60%.
int64_t DefaultMemoryBudget(int64_t limit_bytes);
inline constexpr int kDefaultBudgetPercent = 60;

}  // namespace sluice
