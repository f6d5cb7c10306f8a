#include "sluice/base/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"

namespace sluice {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_(TemporaryPathFor(path_)) {
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoErrorFromErrno(errno, "create", temp_).With("target", path_);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::Append(std::span<const char> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoErrorFromErrno(errno, "write", temp_).With("target", path_);
    }
    done += static_cast<size_t>(n);
  }
}

void AtomicFile::Commit() {
  if (committed_ || fd_ < 0) throw InvalidArgument("{} is already committed", path_);
  if (::fsync(fd_) != 0) throw IoErrorFromErrno(errno, "fsync", temp_).With("target", path_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw IoErrorFromErrno(errno, "close", temp_).With("target", path_);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw IoErrorFromErrno(errno, "rename", temp_).With("target", path_);
  }
  committed_ = true;
}

void WriteFileAtomically(const std::string& path, std::string_view content) {
  AtomicFile file(path);
  file.Append(content);
  file.Commit();
}

}  // namespace sluice
