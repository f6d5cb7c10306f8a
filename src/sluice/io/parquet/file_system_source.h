// FileSystemSource: a RandomAccessSource over an io/fs ReadableFile, so Parquet files are read
// from any FileSystem (S3 above all); OpenRandomAccessSource picks the source for a path:
// s3://bucket/key through fs::FileSystemFor, local paths through LocalFileSource (pread, as
// before).
//
// Ownership: the source owns its ReadableFile. Thread safety: ReadAt and Size may be called
// concurrently (ReadableFile::ReadAt may).
#pragma once

#include <memory>
#include <string>

#include "sluice/io/fs/file_system.h"
#include "sluice/io/parquet/random_access_source.h"

namespace sluice::parquet {

class FileSystemSource final : public RandomAccessSource {
 public:
  explicit FileSystemSource(std::unique_ptr<fs::ReadableFile> file) : file_(std::move(file)) {}
  const std::string& name() const override { return file_->path(); }
  int64_t Size() override { return file_->size(); }
  // InvalidData when the range passes the end, the file system's error otherwise.
  void ReadAt(int64_t offset, std::span<uint8_t> out) override;

 private:
  std::unique_ptr<fs::ReadableFile> file_;
};

// NotFound/IoError (naming the path or URL) when the file cannot be opened.
std::unique_ptr<RandomAccessSource> OpenRandomAccessSource(const std::string& path);

}  // namespace sluice::parquet
