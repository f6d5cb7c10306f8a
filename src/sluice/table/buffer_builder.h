// BufferBuilder and BitmapBuilder: growable buffers used by the array builders. Capacity at least
// doubles on growth, so appends cost amortised O(1); Finish freezes the bytes into an immutable
// Buffer, shrinking it first when more than a quarter of it would be unused (the memory budget
// then sees what the data needs, not the growth slack), and zeroes the padding up to 64 bytes.
//
// Thread safety: a builder is used by one thread at a time.
#pragma once

#include <cstring>
#include <memory>

#include "sluice/table/allocator.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/buffer.h"

namespace sluice {

class BufferBuilder {
 public:
  explicit BufferBuilder(Allocator* allocator) : allocator_(allocator) {}

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  uint8_t* mutable_data() { return data_; }
  const uint8_t* data() const { return data_; }

  void Reserve(int64_t additional) {
    if (size_ + additional > capacity_) Grow(size_ + additional);
  }
  void Append(const void* bytes, int64_t n) {
    Reserve(n);
    if (n > 0) std::memcpy(data_ + size_, bytes, static_cast<size_t>(n));
    size_ += n;
  }
  template <typename T>
  void AppendValue(const T& value) {
    Reserve(sizeof(T));
    std::memcpy(data_ + size_, &value, sizeof(T));
    size_ += sizeof(T);
  }
  // Grows the size by n bytes, zeroed.
  void AppendZeros(int64_t n) {
    Reserve(n);
    if (n > 0) std::memset(data_ + size_, 0, static_cast<size_t>(n));
    size_ += n;
  }
  // Only after Reserve: the caller writes the bytes itself.
  void UnsafeAdvance(int64_t n) { size_ += n; }

  std::shared_ptr<const Buffer> Finish();

 private:
  void Grow(int64_t min_capacity);

  Allocator* allocator_;
  std::unique_ptr<Buffer> buffer_;
  uint8_t* data_ = nullptr;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
};

class BitmapBuilder {
 public:
  explicit BitmapBuilder(Allocator* allocator) : bytes_(allocator) {}

  int64_t length() const { return length_; }
  void Reserve(int64_t additional_bits) {
    bytes_.Reserve(BitmapBytes(length_ + additional_bits) - bytes_.size());
  }
  void Append(bool bit) {
    if ((length_ & 7) == 0) bytes_.AppendValue<uint8_t>(0);
    if (bit) SetBit(bytes_.mutable_data(), length_);
    ++length_;
  }
  void AppendN(bool bit, int64_t n);
  // Appends `length` bits of src starting at bit `offset`.
  void AppendBits(const uint8_t* src, int64_t offset, int64_t length);
  uint8_t* mutable_data() { return bytes_.mutable_data(); }

  std::shared_ptr<const Buffer> Finish() {
    length_ = 0;
    return bytes_.Finish();
  }

 private:
  // Makes room for `bits` more bits, zeroed, without changing length_.
  void ExtendZeroed(int64_t bits) {
    bytes_.AppendZeros(BitmapBytes(length_ + bits) - bytes_.size());
  }

  BufferBuilder bytes_;
  int64_t length_ = 0;
};

}  // namespace sluice
