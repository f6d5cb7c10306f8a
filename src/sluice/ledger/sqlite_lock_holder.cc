#include "sluice/ledger/sqlite_lock_holder.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

namespace sluice::ledger {
namespace {

constexpr int64_t kWalWriteLockByte = 120;     // WALINDEX_LOCK_OFFSET + WAL_WRITE_LOCK
constexpr int64_t kReservedByte = 0x40000001;  // PENDING_BYTE + 1
constexpr std::string_view kWholeFile = "EOF";

struct LockedByte {
  std::filesystem::path file;
  int64_t byte;
};

// A writing lock on `target.byte` of `target.file`, from /proc/locks lines such as
// "3: POSIX  ADVISORY  WRITE 10800 fe:00:10952915 120 120" (waiters are marked "->" and skipped).
std::optional<pid_t> HolderOf(const LockedByte& target) {
  struct stat st {};
  if (::stat(target.file.c_str(), &st) != 0) return std::nullopt;
  const std::string id = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev),
                                     static_cast<unsigned long>(st.st_ino));
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    std::istringstream in(line);
    std::string number, kind, mode, access, device, start, end;
    pid_t pid = 0;
    in >> number >> kind;
    if (kind == "->") continue;
    if (!(in >> mode >> access >> pid >> device >> start >> end)) continue;
    if (access != "WRITE" || device != id) continue;
    int64_t first = std::stoll(start);
    int64_t last = end == kWholeFile ? std::numeric_limits<int64_t>::max() : std::stoll(end);
    if (first <= target.byte && target.byte <= last) return pid;
  }
  return std::nullopt;
}

std::string CommandLineOf(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "this host";
  return name;
}

}  // namespace

std::optional<pid_t> WriteLockHolder(const std::filesystem::path& db) {
  std::filesystem::path shm = db;
  shm += "-shm";
  if (auto pid = HolderOf({shm, kWalWriteLockByte})) return pid;
  return HolderOf({db, kReservedByte});
}

std::string DescribeWriteLockHolder(const std::filesystem::path& db) {
  std::optional<pid_t> pid = WriteLockHolder(db);
  if (!pid) {
    return "no process on this host holds its write lock now (it was just released, or the "
           "holder runs on another host over a network file system)";
  }
  if (*pid == ::getpid()) {
    return fmt::format(
        "its write lock is held by this process (pid {}, another of its "
        "connections)",
        *pid);
  }
  std::string command = CommandLineOf(*pid);
  return fmt::format("its write lock is held by pid {} on host {}{}", *pid, HostName(),
                     command.empty() ? "" : " (" + command + ")");
}

}  // namespace sluice::ledger
