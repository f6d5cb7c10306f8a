#include "sluice/io/fs/file_system_for.h"

#include <mutex>

#include "sluice/io/fs/s3_file_system.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {

namespace {

struct ProcessS3 {
  std::mutex mu;
  std::shared_ptr<S3Client> client;  // guarded by mu
  std::shared_ptr<FileSystem> fs;    // guarded by mu
};

ProcessS3& Process() {
  static ProcessS3 process;
  return process;
}

}  // namespace

std::shared_ptr<FileSystem> FileSystemFor(std::string_view path) {
  if (!IsS3Url(path)) return LocalFileSystem();
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  if (s3.fs == nullptr) {
    s3.client = std::make_shared<S3Client>(AwsConfigFromEnvironment());
    s3.fs = MakeS3FileSystem(s3.client);
  }
  return s3.fs;
}

S3RequestCounts S3RequestCountsSoFar() {
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  return s3.client == nullptr ? S3RequestCounts{} : s3.client->counts();
}

}  // namespace sluice::fs
