// Large allocations on transparent huge pages. A hash table or aggregate state of millions of
// groups is written once, all over, soon after it is allocated: with 4 KiB pages every first
// touch is a page fault (a costly exit on a virtual machine), which dominated high-cardinality
// group-by. Blocks of at least kLargeAllocationBytes are mapped 2 MiB aligned and advised as
// huge pages (MADV_HUGEPAGE, which the kernel default "madvise" honours), so they fault once per
// 2 MiB; smaller ones come from malloc as usual.
//
// LargePageAllocator plugs this into standard containers (LargeVector).
//
// Thread safety: all functions may be called from any thread.
#pragma once

#include <cstddef>
#include <vector>

namespace sluice {

inline constexpr size_t kLargeAllocationBytes = size_t{4} << 20;

// At least `bytes` bytes aligned to 64; throws ResourceExhausted when the system refuses.
void* AllocateLarge(size_t bytes);
// Frees a block from AllocateLarge with the same `bytes`.
void FreeLarge(void* data, size_t bytes) noexcept;

template <typename T>
class LargePageAllocator {
 public:
  using value_type = T;

  LargePageAllocator() = default;
  template <typename U>
  LargePageAllocator(const LargePageAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(size_t n) { return static_cast<T*>(AllocateLarge(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { FreeLarge(p, n * sizeof(T)); }

  template <typename U>
  bool operator==(const LargePageAllocator<U>&) const noexcept {
    return true;
  }
};

template <typename T>
using LargeVector = std::vector<T, LargePageAllocator<T>>;

}  // namespace sluice
