#include "sluice/io/parquet/fetched_bytes_source.h"

#include <cstring>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/io/parquet/read_range_check.h"

namespace sluice::parquet {

FetchedBytesSource::FetchedBytesSource(std::string name, fs::FileBytes bytes)
    : FetchedBytesSource(std::move(name), std::move(bytes), 0, -1) {}

FetchedBytesSource::FetchedBytesSource(std::string name, fs::FileBytes bytes, int64_t offset,
                                       int64_t file_size)
    : name_(std::move(name)),
      bytes_(std::move(bytes)),
      offset_(offset),
      file_size_(file_size < 0 ? static_cast<int64_t>(bytes_.size) : file_size) {}

void FetchedBytesSource::ReadAt(int64_t offset, std::span<uint8_t> out) {
  CheckReadRange(name_, offset, out.size(), file_size_);
  const auto length = static_cast<int64_t>(out.size());
  const int64_t end = offset_ + static_cast<int64_t>(bytes_.size);
  if (offset < offset_ || offset + length > end) {
    throw InternalError("a read of {} bytes at {} outside the fetched range [{}, {})", length,
                        offset, offset_, end)
        .With("file", name_);
  }
  if (length > 0) std::memcpy(out.data(), bytes_.data.get() + (offset - offset_), out.size());
}

}  // namespace sluice::parquet
