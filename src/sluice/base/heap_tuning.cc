#include "sluice/base/heap_tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

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

}  // namespace

bool TuneHeapForStreaming() {
  static const bool tuned = Tune();
  return tuned;
}

}  // namespace sluice
