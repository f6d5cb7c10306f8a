// ChunkBuffer: the memory of one CSV chunk. Big buffers come from mmap and go back to a small
// process-wide free list when released, so steady-state reading reuses warm pages instead of
// faulting in (and having the kernel zero) a fresh 4 MiB per chunk, and freed chunks do not pile
// up in per-thread malloc arenas, which kept the resident size well above the memory budget.
// The free list holds at most 32 buffers, preferring the most recent size; others are unmapped.
// A buffer from the free list may be up to an eighth larger than asked for (see capacity()).
//
// Ownership: a ChunkBuffer owns its bytes (move-only). Thread safety: buffers may be created and
// released on any thread (the free list has one mutex, taken once per chunk).
#pragma once

#include <cstddef>

namespace sluice::csv {

class ChunkBuffer {
 public:
  ChunkBuffer() = default;
  // Uninitialized bytes; throws std::bad_alloc when the memory is not there.
  explicit ChunkBuffer(size_t capacity);
  ~ChunkBuffer() { Release(); }
  ChunkBuffer(ChunkBuffer&& other) noexcept : data_(other.data_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.capacity_ = 0;
  }
  ChunkBuffer& operator=(ChunkBuffer&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = other.data_;
      capacity_ = other.capacity_;
      other.data_ = nullptr;
      other.capacity_ = 0;
    }
    return *this;
  }
  ChunkBuffer(const ChunkBuffer&) = delete;
  ChunkBuffer& operator=(const ChunkBuffer&) = delete;

  char* get() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  void Release();
  char* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace sluice::csv
