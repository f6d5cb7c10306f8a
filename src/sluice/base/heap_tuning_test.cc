#include "sluice/base/heap_tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

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

}  // namespace
}  // namespace sluice
