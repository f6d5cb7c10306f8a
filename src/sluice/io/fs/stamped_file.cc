#include "sluice/io/fs/stamped_file.h"

#include <algorithm>

#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {

StampedFile::StampedFile(std::unique_ptr<ReadableFile> file, FileStamp opened)
    : file_(std::move(file)), opened_(opened) {}

size_t StampedFile::ReadAt(int64_t offset, std::span<char> out) {
  const int64_t left = std::max<int64_t>(0, opened_.size - offset);
  const size_t got = file_->ReadAt(offset, out.first(std::min<size_t>(out.size(), left)));
  RequireUnchanged();
  return got;
}

std::unique_ptr<FileView> StampedFile::Map(int64_t offset, size_t length) {
  // Mapping pages a truncation already took would fault on first read.
  RequireUnchanged();
  auto view = file_->Map(offset, length);
  if (view != nullptr) RequireUnchanged();
  return view;
}

std::unique_ptr<ReadableFile> OpenInput(FileSystem& fs, const std::string& path) {
  auto file = fs.OpenForRead(path);
  if (IsS3Url(path)) return file;
  std::optional<FileStamp> opened = StampOf(path);
  if (!opened) opened = FileStamp{.size = file->size()};  // removed since: RequireUnchanged says so
  // Changed between the open and the stamp: the descriptor may hold another version.
  FileStamp at_open = *opened;
  at_open.size = file->size();
  RequireUnchanged(path, at_open);
  return std::make_unique<StampedFile>(std::move(file), at_open);
}

}  // namespace sluice::fs
