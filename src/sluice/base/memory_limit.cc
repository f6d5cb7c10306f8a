#include "sluice/base/memory_limit.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "sluice/base/bytes.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// cgroup v1 writes "no limit" as LONG_MAX rounded down to a page (9223372036854771712); anything
// this large is no limit on any real machine.
constexpr int64_t kNoLimit = int64_t{1} << 62;

// One cgroup hierarchy as mountinfo shows it: where it is mounted and which cgroup is its root.
struct CgroupMount {
  std::string root;        // e.g. "/" or "/docker/abc" (a bind mount of a sub-hierarchy)
  std::string mountpoint;  // e.g. "/sys/fs/cgroup/memory"
};

// The path `absolute` (as the running system names it) inside the tree under `root`.
fs::path Under(const fs::path& root, const fs::path& absolute) {
  return root / absolute.relative_path();
}

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(sep, start), text.size());
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// mountinfo escapes space, tab, newline and backslash in paths as \ooo octal.
std::string UnescapeMountPath(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) &&
        IsOctal(text[i + 3])) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The first whitespace-separated token of a limit file as bytes; nullopt for "max", no limit,
// a missing file or anything unreadable.
std::optional<int64_t> ReadLimitFile(const fs::path& file) {
  std::ifstream in(file);
  std::string token;
  if (!(in >> token) || token == "max") return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || ptr != token.data() + token.size() || value <= 0 || value >= kNoLimit) {
    return std::nullopt;
  }
  return value;
}

int64_t PhysicalMemory(const fs::path& root) {
  std::ifstream in(Under(root, "/proc/meminfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::istringstream fields(line.substr(9));
    int64_t kib = 0;
    if (fields >> kib && kib > 0) return kib * 1024;
  }
  if (root == fs::path("/")) {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page_size = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) return static_cast<int64_t>(pages) * page_size;
  }
  return 0;
}

// The v1 memory hierarchy's and the v2 unified hierarchy's mounts, from mountinfo.
struct CgroupMounts {
  std::optional<CgroupMount> v1_memory;
  std::optional<CgroupMount> v2;
};

CgroupMounts ReadMounts(const fs::path& root) {
  CgroupMounts mounts;
  std::ifstream in(Under(root, "/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    // "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory": the optional
    // fields before " - " vary in number, so the filesystem type is found after the separator.
    const std::vector<std::string> fields = Split(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) continue;
    const std::string& type = dash[1];
    CgroupMount mount{UnescapeMountPath(fields[3]), UnescapeMountPath(fields[4])};
    if (type == "cgroup2" && !mounts.v2) {
      mounts.v2 = mount;
    } else if (type == "cgroup" && !mounts.v1_memory) {
      const std::vector<std::string> options = Split(dash[3], ',');
      if (std::find(options.begin(), options.end(), "memory") != options.end()) {
        mounts.v1_memory = mount;
      }
    }
  }
  // Without mountinfo (some sandboxes hide it), the conventional places.
  if (!mounts.v1_memory && !mounts.v2) {
    if (fs::exists(Under(root, "/sys/fs/cgroup/memory/memory.limit_in_bytes"))) {
      mounts.v1_memory = CgroupMount{"/", "/sys/fs/cgroup/memory"};
    } else if (fs::exists(Under(root, "/sys/fs/cgroup/cgroup.controllers"))) {
      mounts.v2 = CgroupMount{"/", "/sys/fs/cgroup"};
    }
  }
  return mounts;
}

// The directory of the process's cgroup `path` (as /proc/self/cgroup names it) in `mount`. A
// mount of a sub-hierarchy (a container without a cgroup namespace sees its own cgroup mounted at
// /sys/fs/cgroup/memory while /proc/self/cgroup shows the host's path) drops the mount's root; a
// path outside the mounted part is taken as the mount itself.
fs::path CgroupDirectory(const CgroupMount& mount, const std::string& path) {
  const fs::path mountpoint = mount.mountpoint;
  if (mount.root == "/") return mountpoint / fs::path(path).relative_path();
  if (path == mount.root) return mountpoint;
  if (path.size() > mount.root.size() && path.compare(0, mount.root.size(), mount.root) == 0 &&
      path[mount.root.size()] == '/') {
    return mountpoint / fs::path(path.substr(mount.root.size() + 1));
  }
  return mountpoint;
}

// The smallest limit in `file_name` from `dir` up to the mount point (ancestors limit their
// descendants), into *best / *best_dir when smaller.
void WalkUp(const fs::path& root, const CgroupMount& mount, fs::path dir, const char* file_name,
            int64_t* best, std::string* best_dir) {
  const fs::path top = fs::path(mount.mountpoint).lexically_normal();
  dir = dir.lexically_normal();
  // Never leave the hierarchy, whatever the paths say.
  if (std::mismatch(top.begin(), top.end(), dir.begin(), dir.end()).first != top.end()) return;
  while (true) {
    const std::optional<int64_t> limit = ReadLimitFile(Under(root, dir / file_name));
    if (limit && (*best == 0 || *limit < *best)) {
      *best = *limit;
      *best_dir = dir.string();
    }
    if (dir == top || !dir.has_relative_path()) break;
    fs::path parent = dir.parent_path();
    if (parent == dir) break;
    dir = parent;
  }
}

}  // namespace

std::string MemoryLimit::Describe() const {
  if (cgroup_bytes > 0 && bytes == cgroup_bytes) {
    return fmt::format("the cgroup limit of {} ({})", cgroup, FormatBytes(cgroup_bytes));
  }
  if (physical_bytes > 0) return fmt::format("physical memory ({})", FormatBytes(physical_bytes));
  return fmt::format("an assumed {} (neither cgroup limits nor /proc/meminfo could be read)",
                     FormatBytes(bytes));
}

MemoryLimit DetectMemoryLimit(const fs::path& root) {
  MemoryLimit limit;
  limit.physical_bytes = PhysicalMemory(root);

  const CgroupMounts mounts = ReadMounts(root);
  std::ifstream in(Under(root, "/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    // "4:memory:/job" (v1; controllers may be joined, "4:cpu,memory:/job") or "0::/job" (v2).
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string id = line.substr(0, first);
    const std::vector<std::string> controllers =
        Split(std::string_view(line).substr(first + 1, second - first - 1), ',');
    const std::string path = line.substr(second + 1);
    if (id == "0" && controllers == std::vector<std::string>{""}) {
      if (mounts.v2) {
        WalkUp(root, *mounts.v2, CgroupDirectory(*mounts.v2, path), "memory.max",
               &limit.cgroup_bytes, &limit.cgroup);
      }
    } else if (std::find(controllers.begin(), controllers.end(), "memory") != controllers.end()) {
      if (mounts.v1_memory) {
        WalkUp(root, *mounts.v1_memory, CgroupDirectory(*mounts.v1_memory, path),
               "memory.limit_in_bytes", &limit.cgroup_bytes, &limit.cgroup);
      }
    }
  }

  if (limit.cgroup_bytes > 0 &&
      (limit.physical_bytes == 0 || limit.cgroup_bytes < limit.physical_bytes)) {
    limit.bytes = limit.cgroup_bytes;
  } else if (limit.physical_bytes > 0) {
    limit.bytes = limit.physical_bytes;
  } else {
    limit.bytes = 1_GiB;
  }
  return limit;
}

const MemoryLimit& ProcessMemoryLimit() {
  static const MemoryLimit limit = DetectMemoryLimit("/");
  return limit;
}

int64_t DefaultMemoryBudget(int64_t limit_bytes) {
  // A run's RSS may reach 1.25 x budget + 64 MiB (process_memory.h's RssAllowance: allocator
  // slack, code, thread stacks, what the accounting cannot see). 60% of what is left after the
  // fixed 64 MiB keeps that allowance at 0.75 x limit + 16 MiB, and leaves a quarter of the limit
  // to what a job does not own but the cgroup charges: the page cache of the files it reads,
  // spills and writes (cgroup v1 charges it and reclaims it only under pressure), other processes
  // in the same container (a shell, `batch`'s task commands) and the kernel's per-process memory.
  // DuckDB defaults to 80% of RAM for its buffer manager alone, and its out-of-memory guide
  // advises 50-60% when operations outside that manager push a process over; sluice's budget is
  // meant to cover everything, so it takes the same 60% from the start. Below about 110 MiB the
  // fixed 64 MiB is most of the limit and a quarter of the limit is the floor (the allowance then
  // fits limits from 100 MiB up).
  const int64_t fixed = 64_MiB;
  const int64_t share = (limit_bytes - fixed) / 100 * kDefaultBudgetPercent;
  return std::max(share, limit_bytes / 4);
}

}  // namespace sluice
