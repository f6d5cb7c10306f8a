#include "sluice/io/csv/chunk_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace sluice::csv {
namespace {

constexpr size_t kMmapFrom = size_t{1} << 20;
constexpr size_t kMaxFree = 32;
constexpr size_t kPage = 4096;

size_t Rounded(size_t capacity) {
  return capacity < kMmapFrom ? capacity : (capacity + kPage - 1) / kPage * kPage;
}

struct FreeList {
  std::mutex mu;
  std::vector<std::pair<char*, size_t>> buffers;  // guarded by mu
};
FreeList& Free() {
  static FreeList* list = new FreeList();  // never destroyed: buffers may be released at exit
  return *list;
}

}  // namespace

ChunkBuffer::ChunkBuffer(size_t capacity) : capacity_(Rounded(capacity)) {
  if (capacity_ < kMmapFrom) {
    data_ = static_cast<char*>(std::malloc(capacity_ == 0 ? 1 : capacity_));
    if (data_ == nullptr) throw std::bad_alloc();
    return;
  }
  {
    FreeList& list = Free();
    std::lock_guard lock(list.mu);
    // The smallest free buffer that fits, up to an eighth larger: a chunk's size varies by the
    // partial row it carries over, and an exact match would leave buffers of the neighbouring
    // size idle (resident, unaccounted) while fresh ones are mapped.
    size_t best = list.buffers.size();
    for (size_t i = 0; i < list.buffers.size(); ++i) {
      const size_t size = list.buffers[i].second;
      if (size >= capacity_ && size <= capacity_ + capacity_ / 8 &&
          (best == list.buffers.size() || size < list.buffers[best].second)) {
        best = i;
      }
    }
    if (best < list.buffers.size()) {
      data_ = list.buffers[best].first;
      capacity_ = list.buffers[best].second;
      list.buffers[best] = list.buffers.back();
      list.buffers.pop_back();
      return;
    }
  }
  void* p = ::mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<char*>(p);
}

void ChunkBuffer::Release() {
  if (data_ == nullptr) return;
  if (capacity_ < kMmapFrom) {
    std::free(data_);
  } else {
    FreeList& list = Free();
    std::unique_lock lock(list.mu);
    if (list.buffers.size() < kMaxFree) {
      list.buffers.emplace_back(data_, capacity_);
    } else {
      // Evict a buffer of another size first, so the list follows the current chunk size.
      std::pair<char*, size_t> victim{data_, capacity_};
      for (auto& b : list.buffers) {
        if (b.second != capacity_) {
          std::swap(b, victim);
          break;
        }
      }
      lock.unlock();
      ::munmap(victim.first, victim.second);
    }
  }
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace sluice::csv
