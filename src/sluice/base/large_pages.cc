#include "sluice/base/large_pages.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <utility>

#include "sluice/base/error.h"

namespace sluice {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kSmallAlignment = 64;

size_t RoundUp(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

// Freed large blocks kept for reuse (SetLargeBlockReuse), newest last.
class FreedBlocks {
 public:
  // A kept block of exactly `size` bytes, the most recently freed; null when there is none.
  void* Take(size_t size) {
    std::lock_guard lock(mu_);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->first != size) continue;
      void* data = it->second;
      blocks_.erase(std::next(it).base());
      bytes_ -= size;
      return data;
    }
    return nullptr;
  }

  // Keeps the block, unmapping the oldest kept ones to stay within the limit; false (nothing
  // kept) when the block alone is over it.
  bool Keep(void* data, size_t size) {
    std::lock_guard lock(mu_);
    if (size > limit_) return false;
    blocks_.emplace_back(size, data);
    bytes_ += size;
    Trim();
    return true;
  }

  size_t bytes() {
    std::lock_guard lock(mu_);
    return bytes_;
  }

  void SetLimit(size_t bytes) {
    std::lock_guard lock(mu_);
    limit_ = bytes;
    Trim();
  }

 private:
  void Trim() {
    while (bytes_ > limit_) {
      munmap(blocks_.front().second, blocks_.front().first);
      bytes_ -= blocks_.front().first;
      blocks_.pop_front();
    }
  }

  std::mutex mu_;
  std::deque<std::pair<size_t, void*>> blocks_;
  size_t bytes_ = 0;
  size_t limit_ = 0;
};

FreedBlocks& Freed() {
  static auto* freed = new FreedBlocks;  // never destroyed: blocks may be freed during exit
  return *freed;
}

}  // namespace

void SetLargeBlockReuse(size_t bytes) { Freed().SetLimit(bytes); }

size_t KeptLargeBlockBytes() { return Freed().bytes(); }

void* AllocateLarge(size_t bytes) {
  if (bytes < kLargeAllocationBytes) {
    void* data = std::aligned_alloc(kSmallAlignment, RoundUp(bytes == 0 ? 1 : bytes, 64));
    if (data == nullptr) throw ResourceExhausted("out of memory allocating {} bytes", bytes);
    return data;
  }
  const size_t size = RoundUp(bytes, kHugePage);
  if (void* data = Freed().Take(size)) return data;
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
  const size_t size = RoundUp(bytes, kHugePage);
  bool kept = false;
  try {
    kept = Freed().Keep(data, size);
  } catch (...) {  // no room to note it: give it back instead
  }
  if (!kept) munmap(data, size);
}

}  // namespace sluice
