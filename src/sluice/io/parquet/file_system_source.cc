#include "sluice/io/parquet/file_system_source.h"

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/read_range_check.h"

namespace sluice::parquet {

void FileSystemSource::ReadAt(int64_t offset, std::span<uint8_t> out) {
  CheckReadRange(name(), offset, out.size(), file_->size());
  size_t got = file_->ReadAt(offset, {reinterpret_cast<char*>(out.data()), out.size()});
  if (got != out.size()) {
    throw IoError("read {} of {} bytes at offset {}; did the file shrink?", got, out.size(), offset)
        .With("file", name());
  }
}

std::unique_ptr<RandomAccessSource> OpenRandomAccessSource(const std::string& path) {
  if (!fs::IsS3Url(path)) return LocalFileSource::Open(path);
  return std::make_unique<FileSystemSource>(fs::FileSystemFor(path)->OpenForRead(path));
}

}  // namespace sluice::parquet
