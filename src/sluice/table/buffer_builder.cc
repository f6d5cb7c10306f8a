#include "sluice/table/buffer_builder.h"

#include <algorithm>

namespace sluice {

void BufferBuilder::Grow(int64_t min_capacity) {
  int64_t capacity = std::max<int64_t>({min_capacity, capacity_ * 2, kBufferAlignment});
  std::unique_ptr<Buffer> bigger = allocator_->Allocate(capacity);
  if (size_ > 0) std::memcpy(bigger->mutable_data(), data_, static_cast<size_t>(size_));
  buffer_ = std::move(bigger);
  data_ = buffer_->mutable_data();
  capacity_ = buffer_->capacity();
}

std::shared_ptr<const Buffer> BufferBuilder::Finish() {
  int64_t padded = (size_ + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  if (buffer_ == nullptr || capacity_ - padded > capacity_ / 4) {
    std::unique_ptr<Buffer> exact = allocator_->Allocate(size_);
    if (size_ > 0) std::memcpy(exact->mutable_data(), data_, static_cast<size_t>(size_));
    buffer_ = std::move(exact);
    data_ = buffer_->mutable_data();
  }
  if (padded > size_) std::memset(data_ + size_, 0, static_cast<size_t>(padded - size_));
  buffer_->set_size(size_);
  std::shared_ptr<const Buffer> out = std::move(buffer_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
  return out;
}

void BitmapBuilder::AppendN(bool bit, int64_t n) {
  ExtendZeroed(n);
  if (bit) SetBits(bytes_.mutable_data(), length_, n);
  length_ += n;
}

void BitmapBuilder::AppendBits(const uint8_t* src, int64_t offset, int64_t length) {
  ExtendZeroed(length);
  CopyBits(src, offset, length, bytes_.mutable_data(), length_);
  length_ += length;
}

}  // namespace sluice
