#include "sluice/base/large_pages.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

#include "sluice/base/error.h"

namespace sluice {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kSmallAlignment = 64;

size_t RoundUp(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

}  // namespace

void* AllocateLarge(size_t bytes) {
  if (bytes < kLargeAllocationBytes) {
    void* data = std::aligned_alloc(kSmallAlignment, RoundUp(bytes == 0 ? 1 : bytes, 64));
    if (data == nullptr) throw ResourceExhausted("out of memory allocating {} bytes", bytes);
    return data;
  }
  const size_t size = RoundUp(bytes, kHugePage);
  // Over-map by one huge page and trim, so the block starts on a 2 MiB boundary and every page
  // of it can be huge.
  void* mapped = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) {
    throw ResourceExhausted("out of memory mapping {} bytes", size);
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned = RoundUp(start, kHugePage);
  if (aligned > start) munmap(mapped, aligned - start);
  const uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  // Advice only: without THP the block still works on small pages.
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void FreeLarge(void* data, size_t bytes) noexcept {
  if (data == nullptr) return;
  if (bytes < kLargeAllocationBytes) {
    std::free(data);
    return;
  }
  munmap(data, RoundUp(bytes, kHugePage));
}

}  // namespace sluice
