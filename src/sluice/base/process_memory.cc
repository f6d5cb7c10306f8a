#include "sluice/base/process_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sluice {
namespace {

// Reads a small /proc file into buf (NUL-terminated) without allocating: the sampler calls this
// every few milliseconds.
bool ReadProcFile(const char* path, char* buf, size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::read(fd, buf, size - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  return true;
}

}  // namespace

int64_t ProcessRssBytes() {
  char buf[256];
  if (!ReadProcFile("/proc/self/statm", buf, sizeof buf)) return 0;
  // Fields: size resident shared text lib data dt, in pages.
  char* rest = nullptr;
  std::strtoll(buf, &rest, 10);
  const long long pages = std::strtoll(rest, nullptr, 10);
  return static_cast<int64_t>(pages) * ::sysconf(_SC_PAGESIZE);
}

int64_t ProcessPeakRssBytes() {
  char buf[4096];
  if (!ReadProcFile("/proc/self/status", buf, sizeof buf)) return 0;
  const char* line = std::strstr(buf, "VmHWM:");
  if (line == nullptr) return 0;
  return static_cast<int64_t>(std::strtoll(line + 6, nullptr, 10)) * 1024;
}

int64_t RssAllowance(int64_t memory_budget) {
  return memory_budget + memory_budget / 4 + (int64_t{64} << 20);
}

}  // namespace sluice
