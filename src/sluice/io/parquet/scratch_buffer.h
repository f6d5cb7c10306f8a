// ScratchBuffer: a reusable block of bytes for the decode hot path (a column chunk's stored bytes,
// one page's decompressed bytes, values awaiting conversion). Unlike std::vector it never zeroes
// what it hands out, and it keeps its memory between uses, so a reader that decodes page after
// page of similar size pays neither a memset nor fresh page faults per page.
//
// Resize discards the contents when it has to grow. Past size() there are always kPadding
// readable bytes, so decoders may load a whole word near the end.
//
// Ownership: owns its memory. Thread safety: a value; one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace sluice::parquet {

class ScratchBuffer {
 public:
  static constexpr size_t kPadding = 64;

  // `size` bytes of unspecified contents (the old ones unless the buffer had to grow).
  uint8_t* Resize(size_t size) {
    if (size > capacity_) {
      // A little headroom, so slightly larger pages later do not reallocate.
      size_t capacity = size + size / 8;
      data_.reset(new uint8_t[capacity + kPadding]);
      capacity_ = capacity;
    }
    size_ = size;
    return data_.get();
  }

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::span<uint8_t> span() { return {data_.get(), size_}; }
  std::span<const uint8_t> span() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace sluice::parquet
