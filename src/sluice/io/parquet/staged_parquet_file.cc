#include "sluice/io/parquet/staged_parquet_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/fs/staged_file.h"

namespace sluice::parquet {
namespace {

constexpr uint8_t kMagic[4] = {'P', 'A', 'R', '1'};

}  // namespace

StagedParquetFile::StagedParquetFile(const std::string& target)
    : target_(target), temp_path_(fs::StagingPathFor(target)) {
  fd_ = ::open(temp_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoErrorFromErrno(errno, "create", temp_path_).With("target", target_);
  try {
    WriteAt(0, kMagic);
  } catch (...) {
    Abandon();
    throw;
  }
}

void StagedParquetFile::WriteAt(int64_t offset, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoErrorFromErrno(errno, "write", temp_path_).With("target", target_);
    }
    done += static_cast<size_t>(n);
  }
}

void StagedParquetFile::ReadAt(int64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                              static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoErrorFromErrno(errno, "read", temp_path_).With("target", target_);
    if (n == 0) {
      throw IoError("read back past the end of the staged file at offset {}",
                    offset + static_cast<int64_t>(done))
          .With("file", temp_path_);
    }
    done += static_cast<size_t>(n);
  }
}

int64_t StagedParquetFile::Finish(const FileMetaData& metadata, int64_t end, bool sync) {
  try {
    std::vector<uint8_t> footer;
    EncodeFileMetaData(metadata, &footer);
    const auto length = static_cast<uint32_t>(footer.size());
    for (int i = 0; i < 4; ++i) footer.push_back(static_cast<uint8_t>(length >> (8 * i)));
    footer.insert(footer.end(), kMagic, kMagic + 4);
    WriteAt(end, footer);
    if (sync && ::fsync(fd_) != 0)
      throw IoErrorFromErrno(errno, "fsync", temp_path_).With("target", target_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
      throw IoErrorFromErrno(errno, "close", temp_path_).With("target", target_);
    fs::PublishStagedFile(temp_path_, target_);
    done_ = true;
    return end + static_cast<int64_t>(footer.size());
  } catch (...) {
    Abandon();
    throw;
  }
}

void StagedParquetFile::Abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!done_) ::unlink(temp_path_.c_str());
  done_ = true;
}

}  // namespace sluice::parquet
