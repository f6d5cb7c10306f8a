#include "sluice/io/parquet/random_access_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sluice/base/error.h"
#include "sluice/io/parquet/read_range_check.h"

namespace sluice::parquet {

void CheckReadRange(const std::string& name, int64_t offset, size_t length, int64_t size) {
  if (offset < 0 || static_cast<uint64_t>(offset) > static_cast<uint64_t>(size) ||
      length > static_cast<uint64_t>(size - offset)) {
    throw InvalidData("read of {} bytes at offset {} passes the end of the {}-byte file", length,
                      offset, size)
        .With("file", name);
  }
}

std::unique_ptr<LocalFileSource> LocalFileSource::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoErrorFromErrno(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    throw IoErrorFromErrno(saved, "stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InvalidArgument("{} is a directory, not a file", path).With("file", path);
  }
  return std::unique_ptr<LocalFileSource>(new LocalFileSource(path, fd, st.st_size));
}

LocalFileSource::LocalFileSource(std::string path, int fd, int64_t size)
    : path_(std::move(path)), fd_(fd), size_(size) {}

LocalFileSource::~LocalFileSource() { ::close(fd_); }

void LocalFileSource::ReadAt(int64_t offset, std::span<uint8_t> out) {
  CheckReadRange(path_, offset, out.size(), size_);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoErrorFromErrno(errno, "read", path_);
    }
    if (n == 0) {
      throw IoError("the file ended at {} while reading up to {}; did it shrink?", offset + done,
                    offset + out.size())
          .With("file", path_);
    }
    done += static_cast<size_t>(n);
  }
}

void MemorySource::ReadAt(int64_t offset, std::span<uint8_t> out) {
  CheckReadRange(name_, offset, out.size(), Size());
  if (!out.empty()) std::memcpy(out.data(), data_.data() + offset, out.size());
}

}  // namespace sluice::parquet
