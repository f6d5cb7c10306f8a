#include "sluice/base/heap_tuning.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "sluice/base/bytes.h"

extern char** environ;

namespace sluice {
namespace {

bool UserSetMallocTunables() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "malloc") != nullptr) return true;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "MALLOC_", 7) == 0) return true;
  }
  return false;
}

bool Tune() {
  if (UserSetMallocTunables()) return false;
  // Setting either threshold turns glibc's dynamic adjustment off for both, so both are set.
  bool ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(32_MiB)) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(64_MiB)) == 1 && ok;
  ok = mallopt(M_ARENA_MAX, 1) == 1 && ok;
  return ok;
}

// Set by RestartWithHugePageHeap for the image it starts: the GLIBC_TUNABLES to put back, or
// kNoTunables when there were none.
constexpr const char* kRestartMarker = "SLUICE_RESTARTED_FOR_HEAP";
constexpr const char* kNoTunables = "-";

void PutEnvironmentBack(const char* tunables) {
  if (std::strcmp(tunables, kNoTunables) == 0) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", tunables, 1);
  }
  unsetenv(kRestartMarker);
}

}  // namespace

bool TransparentHugePagesOn() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[always]") != std::string::npos ||
         modes.find("[madvise]") != std::string::npos;
}

void RestartWithHugePageHeap(char** argv) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  (void)argv;  // the sanitizer's allocator has no such tunable
#else
  if (const char* restored = std::getenv(kRestartMarker)) {
    // This image runs with the tunable: copy the value out before the environment changes.
    PutEnvironmentBack(std::string(restored).c_str());
    return;
  }
  if (UserSetMallocTunables() || !TransparentHugePagesOn()) return;
  const char* user = std::getenv("GLIBC_TUNABLES");
  const std::string before = user == nullptr ? kNoTunables : user;
  const std::string tunables =
      (user == nullptr ? std::string() : before + ":") + "glibc.malloc.hugetlb=1";
  if (setenv(kRestartMarker, before.c_str(), 1) != 0 ||
      setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) {
    return;
  }
  // The program's own path, not /proc/self/exe, so that its name (ps, pgrep) stays "sluice".
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length > 0) {
    path[length] = '\0';
    execv(path, argv);
  }
  PutEnvironmentBack(before.c_str());  // the exec failed: run on as we are
#endif
}

bool TuneHeapForStreaming() {
  static const bool tuned = Tune();
  return tuned;
}

}  // namespace sluice
