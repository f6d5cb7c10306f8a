#include "sluice/io/fs/file_system_for.h"

#include <mutex>

#include "sluice/io/fs/s3_file_system.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {

std::shared_ptr<FileSystem> FileSystemFor(std::string_view path) {
  if (!IsS3Url(path)) return LocalFileSystem();
  static std::mutex mu;
  static std::shared_ptr<FileSystem> s3;  // guarded by mu
  std::lock_guard lock(mu);
  if (s3 == nullptr) {
    s3 = MakeS3FileSystem(std::make_shared<S3Client>(AwsConfigFromEnvironment()));
  }
  return s3;
}

}  // namespace sluice::fs
