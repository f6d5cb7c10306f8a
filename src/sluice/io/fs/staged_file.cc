#include "sluice/io/fs/staged_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {
namespace {

constexpr size_t kUploadReadBytes = 8 << 20;

}  // namespace

std::string StagingPathFor(const std::string& target) {
  if (!IsS3Url(target)) return TemporaryPathFor(target);
  static std::atomic<uint64_t> counter{0};
  std::string name = target.substr(target.find_last_of('/') + 1);
  if (name.empty() || name.size() > 100) name = "object";
  return (std::filesystem::temp_directory_path() /
          fmt::format("sluice-upload-{}-{}-{}", ::getpid(), counter++, name))
      .string();
}

void PublishStagedFile(const std::string& staging, const std::string& target) {
  if (!IsS3Url(target)) {
    if (std::rename(staging.c_str(), target.c_str()) != 0) {
      throw IoErrorFromErrno(errno, "rename", staging).With("target", target);
    }
    return;
  }
  int fd = ::open(staging.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoErrorFromErrno(errno, "open", staging).With("target", target);
  try {
    auto out = FileSystemFor(target)->OpenForWrite(target);
    std::vector<char> buffer(kUploadReadBytes);
    while (true) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IoErrorFromErrno(errno, "read", staging).With("target", target);
      if (n == 0) break;
      out->Append({buffer.data(), static_cast<size_t>(n)});
    }
    out->Commit();
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  std::remove(staging.c_str());
}

}  // namespace sluice::fs
