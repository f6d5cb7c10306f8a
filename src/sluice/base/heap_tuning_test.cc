#include "sluice/base/heap_tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sluice/base/bytes.h"

namespace sluice {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kOwnAllocator = true;  // the sanitizer's allocator ignores mallopt
#else
constexpr bool kOwnAllocator = false;
#endif

void* Touch(size_t bytes) {
  void* p = std::malloc(bytes);
  std::memset(p, 1, bytes);
  return p;
}

TEST(HeapTuning, BuffersBelowThirtyTwoMiBComeFromTheHeapAndAreReused) {
  const bool tuned = TuneHeapForStreaming();
  if (kOwnAllocator || std::getenv("GLIBC_TUNABLES") != nullptr) GTEST_SKIP();
  ASSERT_TRUE(tuned);
  EXPECT_TRUE(TuneHeapForStreaming());  // once per process, same answer

  // glibc's default would map a 4 MiB block of its own (threshold 128 KiB at start).
  const size_t mapped_before = mallinfo2().hblks;
  void* a = Touch(4_MiB);
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
  // Freed and asked for again, the same bytes come back instead of fresh pages.
  std::free(a);
  void* b = Touch(4_MiB);
  EXPECT_EQ(a, b);
  std::free(b);

  void* huge = Touch(40_MiB);
  EXPECT_EQ(mallinfo2().hblks, mapped_before + 1);
  std::free(huge);
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
}

// What base/testing/heap_probe_main.cc reports when started with `environment` before it.
std::string Probe(const std::string& environment) {
  const std::string command = "env -u GLIBC_TUNABLES " + environment + " " SLUICE_HEAP_PROBE;
  FILE* out = popen(command.c_str(), "r");
  EXPECT_NE(out, nullptr);
  char line[512] = {};
  const bool read = std::fgets(line, sizeof line, out) != nullptr;
  EXPECT_EQ(pclose(out), 0);
  EXPECT_TRUE(read) << command;
  std::string text(line);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(HeapTuning, ARestartPutsTheHeapOnHugePagesAndTheEnvironmentBack) {
  const bool restarts = !kOwnAllocator && TransparentHugePagesOn();
  EXPECT_EQ(Probe(""), restarts ? "name=sluice_heap_pro tunables=unset marker=unset heap_thp=1"
                                : "name=sluice_heap_pro tunables=unset marker=unset heap_thp=0");
  // The name is the program's (15 characters at most), not "exe" of /proc/self/exe.
  // Tunables of other parts of glibc are the user's and come back as they were.
  EXPECT_EQ(Probe("GLIBC_TUNABLES=glibc.rtld.optional_static_tls=2048"),
            std::string("name=sluice_heap_pro tunables=glibc.rtld.optional_static_tls=2048 "
                        "marker=unset heap_thp=") +
                (restarts ? "1" : "0"));
}

TEST(HeapTuning, AUserWhoSetMallocTunablesKeepsThemAndNoRestartHappens) {
  EXPECT_EQ(Probe("GLIBC_TUNABLES=glibc.malloc.arena_max=2"),
            "name=sluice_heap_pro tunables=glibc.malloc.arena_max=2 marker=unset heap_thp=0");
  EXPECT_EQ(Probe("MALLOC_ARENA_MAX=2"),
            "name=sluice_heap_pro tunables=unset marker=unset heap_thp=0");
}

}  // namespace
}  // namespace sluice
