// A program that starts as sluice does (RestartWithHugePageHeap first, then the heap tuning),
// then reports what heap_tuning_test checks: its name (ps, pgrep), the malloc tunables and restart
// marker it sees, and whether its heap may use transparent huge pages ("THPeligible" of the [heap]
// mapping in smaps).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "sluice/base/heap_tuning.h"

namespace {

const char* Or(const char* value, const char* otherwise) {
  return value == nullptr ? otherwise : value;
}

std::string HeapHugePageEligibility() {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_heap = false;
  while (std::getline(smaps, line)) {
    if (line.find(" [heap]") != std::string::npos) in_heap = true;
    if (in_heap && line.rfind("THPeligible:", 0) == 0)
      return line.substr(line.find_last_of(' ') + 1);
  }
  return "none";
}

}  // namespace

int main(int, char** argv) {
  sluice::RestartWithHugePageHeap(argv);
  sluice::TuneHeapForStreaming();
  // A heap to look at: larger than glibc's first extension, smaller than its mmap threshold.
  auto* block = static_cast<char*>(std::malloc(8 << 20));
  std::memset(block, 1, 8 << 20);
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  std::printf("name=%s tunables=%s marker=%s heap_thp=%s\n", name.c_str(),
              Or(std::getenv("GLIBC_TUNABLES"), "unset"),
              Or(std::getenv("SLUICE_RESTARTED_FOR_HEAP"), "unset"),
              HeapHugePageEligibility().c_str());
  std::free(block);
  return 0;
}
