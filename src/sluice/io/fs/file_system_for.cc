#include "sluice/io/fs/file_system_for.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/io/fs/s3_file_system.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {

namespace {

struct ProcessS3 {
  std::mutex mu;
  S3ProcessOptions options;            // guarded by mu
  std::shared_ptr<MemoryGate> memory;  // guarded by mu
  std::shared_ptr<S3Client> client;    // guarded by mu
  std::shared_ptr<FileSystem> fs;      // guarded by mu
};

ProcessS3& Process() {
  static ProcessS3 process;
  return process;
}

std::shared_ptr<MemoryGate> MemoryLocked(ProcessS3& s3) {
  if (s3.memory == nullptr) s3.memory = std::make_shared<MemoryGate>(s3.options.memory_bytes);
  return s3.memory;
}

// The process-wide client and the file system over it, created on first use.
std::pair<std::shared_ptr<S3Client>, std::shared_ptr<FileSystem>> ProcessS3Objects() {
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  if (s3.fs == nullptr) {
    S3ClientOptions client_options;
    client_options.max_in_flight = s3.options.max_requests;
    s3.client = std::make_shared<S3Client>(AwsConfigFromEnvironment(), client_options);
    S3FileSystemOptions fs_options;
    fs_options.part_size = S3PartSizeFor(s3.options.memory_bytes);
    fs_options.memory = MemoryLocked(s3);
    s3.fs = MakeS3FileSystem(s3.client, fs_options);
  }
  return {s3.client, s3.fs};
}

}  // namespace

void ConfigureProcessS3(const S3ProcessOptions& options) {
  if (options.max_requests < 1) {
    throw InvalidArgument("at least one S3 request must be allowed in flight, not {}",
                          options.max_requests);
  }
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  if (s3.memory != nullptr || s3.fs != nullptr) {
    throw InternalError("the S3 options must be set before the first use of an s3:// URL");
  }
  s3.options = options;
}

int64_t S3PartSizeFor(int64_t memory_bytes) {
  constexpr int64_t kMin = int64_t{5} << 20, kMax = int64_t{16} << 20;
  return std::clamp(memory_bytes / 5, kMin, kMax);
}

MemoryGate& ProcessS3Memory() {
  ProcessS3& s3 = Process();
  std::lock_guard lock(s3.mu);
  return *MemoryLocked(s3);
}

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

std::string S3RequestSummary() {
  const S3RequestCounts s3 = S3RequestCountsSoFar();
  if (s3.get + s3.head + s3.list + s3.put + s3.post + s3.del == 0) return "";
  const MemoryGate& buffers = ProcessS3Memory();
  return fmt::format(
      "s3: {} GET, {} HEAD, {} LIST, {} PUT, {} POST, {} DELETE requests ({} retries); buffers "
      "peak {} of {}\n",
      s3.get, s3.head, s3.list, s3.put, s3.post, s3.del, s3.retries, FormatBytes(buffers.peak()),
      FormatBytes(buffers.limit()));
}

}  // namespace sluice::fs
