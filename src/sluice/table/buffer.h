// Buffer: one contiguous block of bytes behind a column (a validity bitmap, values, offsets or
// string data). Either owned (from an Allocator, 64-byte aligned, padded to a multiple of 64) or
// foreign (memory of an Arrow producer, kept alive through an opaque owner handle).
//
// size() is the bytes in use; capacity() is the bytes the buffer holds in memory, which is what
// ByteSize and the memory budget count.
//
// Ownership and thread safety: a buffer has one writer (a builder) until it is frozen into a
// std::shared_ptr<const Buffer>; after that it is immutable and may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "sluice/base/memory_budget.h"

namespace sluice {

class Allocator;

class Buffer {
 public:
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  // Memory owned by someone else; `owner` is released when the last reference to the buffer goes.
  // The bytes are counted as this buffer's capacity (the memory it keeps alive).
  static std::shared_ptr<const Buffer> Wrap(const uint8_t* data, int64_t size,
                                            std::shared_ptr<const void> owner);

  const uint8_t* data() const { return data_; }
  uint8_t* mutable_data() { return data_; }
  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data_);
  }
  template <typename T>
  T* mutable_data_as() {
    return reinterpret_cast<T*>(data_);
  }
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  bool is_foreign() const { return allocator_ == nullptr; }

  // Only the buffer's single writer calls this; size must not exceed capacity.
  void set_size(int64_t size);

 private:
  friend class Allocator;
  Buffer(uint8_t* data, int64_t size, int64_t capacity, Allocator* allocator,
         Reservation reservation, std::shared_ptr<const void> owner);

  uint8_t* data_;
  int64_t size_;
  int64_t capacity_;
  Allocator* allocator_;  // null for foreign memory
  Reservation reservation_;
  std::shared_ptr<const void> owner_;
};

}  // namespace sluice
