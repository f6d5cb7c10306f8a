#include "sluice/io/fs/file_system_for.h"

#include <mutex>
#include <utility>

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

// The process-wide client and the file system over it, created on first use.
std::pair<std::shared_ptr<S3Client>, std::shared_ptr<FileSystem>> ProcessS3Objects() {
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  if (s3.fs == nullptr) {
    s3.client = std::make_shared<S3Client>(AwsConfigFromEnvironment());
    s3.fs = MakeS3FileSystem(s3.client);
  }
  return {s3.client, s3.fs};
}

}  // namespace

std::shared_ptr<FileSystem> FileSystemFor(std::string_view path) {
  if (!IsS3Url(path)) return LocalFileSystem();
  return ProcessS3Objects().second;
}

std::shared_ptr<S3Client> ProcessS3Client() { return ProcessS3Objects().first; }

S3RequestCounts S3RequestCountsSoFar() {
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  return s3.client == nullptr ? S3RequestCounts{} : s3.client->counts();
}

}  // namespace sluice::fs
