#include "sluice/io/fs/staged_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/base/temp_path.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {
namespace {

constexpr size_t kUploadReadBytes = 8 << 20;

// Reads a local file in pieces of exactly `piece_bytes` (the last may be shorter; none for an
// empty file) and hands each to `consume`, reusing one buffer. `target` names the upload in
// errors.
void ForEachPiece(const std::string& path, size_t piece_bytes, const std::string& target,
                  const std::function<void(std::span<const char>)>& consume) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoErrorFromErrno(errno, "open", path).With("target", target);
  try {
    std::vector<char> buffer(piece_bytes);
    bool end = false;
    while (!end) {
      size_t filled = 0;
      while (filled < buffer.size()) {
        ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoErrorFromErrno(errno, "read", path).With("target", target);
        if (n == 0) {
          end = true;
          break;
        }
        filled += static_cast<size_t>(n);
      }
      if (filled > 0) consume({buffer.data(), filled});
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

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
  auto out = FileSystemFor(target)->OpenForWrite(target);
  ForEachPiece(staging, kUploadReadBytes, target,
               [&](std::span<const char> piece) { out->Append(piece); });
  out->Commit();
  std::remove(staging.c_str());
}

PendingUpload UploadStagedFilePending(S3Client& client, const std::string& staging,
                                      const S3Url& target, int64_t part_size) {
  PendingUpload upload{target, client.CreateMultipartUpload(target), {}, 0};
  try {
    ForEachPiece(staging, static_cast<size_t>(part_size), target.ToString(),
                 [&](std::span<const char> part) {
                   upload.etags.push_back(client.UploadPart(
                       target, upload.upload_id, static_cast<int>(upload.etags.size()) + 1, part));
                   upload.bytes += static_cast<int64_t>(part.size());
                 });
    if (upload.etags.empty()) {  // an empty file: S3 needs one part, and the last may be empty
      upload.etags.push_back(client.UploadPart(target, upload.upload_id, 1, {}));
    }
  } catch (...) {
    AbortPendingUpload(client, target, upload.upload_id);
    throw;
  }
  return upload;
}

void CompletePendingUpload(S3Client& client, const PendingUpload& upload) {
  try {
    client.CompleteMultipartUpload(upload.url, upload.upload_id, upload.etags);
    return;
  } catch (const Error& error) {
    if (error.ContextValue("s3 error") != "NoSuchUpload") throw;
  }
  // Completed before (by another process rolling the commit forward, or a first try whose answer
  // was lost): the object must be there, whole.
  S3ObjectInfo info;
  try {
    info = client.HeadObject(upload.url);
  } catch (Error& error) {
    throw std::move(error.With("upload id", upload.upload_id)
                        .With("why", "the upload is gone and its object is missing"));
  }
  if (info.size != upload.bytes) {
    throw Conflict(
        "S3 CompleteMultipartUpload {}: the upload is gone and the object holds {} "
        "bytes, not the {} uploaded",
        upload.url.ToString(), info.size, upload.bytes)
        .With("url", upload.url.ToString())
        .With("operation", "CompleteMultipartUpload")
        .With("upload id", upload.upload_id);
  }
}

void AbortPendingUpload(S3Client& client, const S3Url& url, const std::string& upload_id) noexcept {
  try {
    client.AbortMultipartUpload(url, upload_id);
  } catch (const std::exception& e) {
    SLUICE_LOG_WARN("cannot abort the upload {} of {}: {}", upload_id, url.ToString(), e.what());
  }
}

}  // namespace sluice::fs
