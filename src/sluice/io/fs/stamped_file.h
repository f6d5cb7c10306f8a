// StampedFile: a local input held to the version it had when opened (file_stamp.h). Reads never
// pass its size at open, so a file that grows is read as it was; every ReadAt and Map checks the
// stamp once its bytes are in (a map also before), so bytes of two versions never reach the
// caller unnoticed; RequireUnchanged is the check at the end of a read. A mapped view handed on
// is read later: a truncation after the last check ends the process with the file named instead
// of a crash (mapped_read_guard.h), and a same-size rewrite after it goes unseen.
//
// Ownership: owns the ReadableFile it wraps. Thread safety: as ReadableFile (ReadAt and Map from
// any thread).
#pragma once

#include <memory>
#include <string>

#include "sluice/io/fs/file_stamp.h"
#include "sluice/io/fs/file_system.h"

namespace sluice::fs {

class StampedFile final : public ReadableFile {
 public:
  StampedFile(std::unique_ptr<ReadableFile> file, FileStamp opened);

  const std::string& path() const override { return file_->path(); }
  int64_t size() const override { return opened_.size; }
  size_t ReadAt(int64_t offset, std::span<char> out) override;
  std::unique_ptr<FileView> Map(int64_t offset, size_t length) override;
  // InvalidData naming the file unless it is still as it was opened.
  void RequireUnchanged() const { fs::RequireUnchanged(path(), opened_); }
  const FileStamp& opened() const { return opened_; }

 private:
  std::unique_ptr<ReadableFile> file_;
  FileStamp opened_;
};

// `path` opened on `fs` for reading; local files come stamped (a StampedFile), objects as they
// are (an S3 read is pinned to the object's ETag already).
std::unique_ptr<ReadableFile> OpenInput(FileSystem& fs, const std::string& path);

}  // namespace sluice::fs
