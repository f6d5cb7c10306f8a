#include "sluice/table/buffer.h"

#include "sluice/base/check.h"
#include "sluice/table/allocator.h"

namespace sluice {

Buffer::Buffer(uint8_t* data, int64_t size, int64_t capacity, Allocator* allocator,
               Reservation reservation, std::shared_ptr<const void> owner)
    : data_(data),
      size_(size),
      capacity_(capacity),
      allocator_(allocator),
      reservation_(std::move(reservation)),
      owner_(std::move(owner)) {}

Buffer::~Buffer() {
  if (allocator_ != nullptr) allocator_->Free(data_, capacity_);
}

std::shared_ptr<const Buffer> Buffer::Wrap(const uint8_t* data, int64_t size,
                                           std::shared_ptr<const void> owner) {
  SLUICE_CHECK_GE(size, 0);
  // The const_cast is safe: a foreign buffer is only ever exposed as const.
  return std::shared_ptr<const Buffer>(
      new Buffer(const_cast<uint8_t*>(data), size, size, nullptr, Reservation(), std::move(owner)));
}

void Buffer::set_size(int64_t size) {
  SLUICE_CHECK_GE(size, 0);
  SLUICE_CHECK_LE(size, capacity_);
  size_ = size;
}

}  // namespace sluice
