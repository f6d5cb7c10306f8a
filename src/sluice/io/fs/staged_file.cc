#include "sluice/io/fs/staged_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <span>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/base/temp_path.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_part_uploader.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {
namespace {

constexpr size_t kUploadReadBytes = 8 << 20;
constexpr int kPartsInFlight = 4;

// A staging file read from the start in pieces; `target` names the upload in errors.
class StagedReader {
 public:
  StagedReader(const std::string& path, std::string target)
      : path_(path), target_(std::move(target)), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw IoErrorFromErrno(errno, "open", path_).With("target", target_);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      int error = errno;
      ::close(fd_);
      throw IoErrorFromErrno(error, "stat", path_).With("target", target_);
    }
    left_ = static_cast<size_t>(st.st_size);
  }
  ~StagedReader() { ::close(fd_); }
  StagedReader(const StagedReader&) = delete;
  StagedReader& operator=(const StagedReader&) = delete;

  // Appends up to `bytes` bytes to `into`: fewer only at the end of the file.
  void ReadInto(std::string& into, size_t bytes) {
    bytes = std::min(bytes, left_);  // a small file's buffer grows no larger than the file
    const size_t start = into.size();
    into.resize(start + bytes);
    size_t filled = 0;
    while (filled < bytes) {
      ssize_t n = ::read(fd_, into.data() + start + filled, bytes - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IoErrorFromErrno(errno, "read", path_).With("target", target_);
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    into.resize(start + filled);
    left_ -= filled;
  }

 private:
  std::string path_;
  std::string target_;
  int fd_;
  size_t left_ = 0;  // bytes not read yet, by the size at open
};

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
  StagedReader reader(staging, target);
  std::string piece;
  do {
    piece.clear();
    reader.ReadInto(piece, kUploadReadBytes);
    out->Append(piece);
  } while (piece.size() == kUploadReadBytes);
  out->Commit();
  std::remove(staging.c_str());
}

PendingUpload UploadStagedFilePending(S3Client& client, const std::string& staging,
                                      const S3Url& target, int64_t part_size) {
  PendingUpload upload{target, client.CreateMultipartUpload(target), {}, 0};
  try {
    StagedReader reader(staging, target.ToString());
    S3PartUploader parts(client, target, upload.upload_id, kPartsInFlight);
    const size_t part_bytes = static_cast<size_t>(part_size);
    // An empty file is one empty part: S3 needs one, and the last may be empty.
    for (bool last = false; !last;) {
      S3PartUploader::Part part = S3PartUploader::NewPart(ProcessS3Memory(), part_bytes);
      reader.ReadInto(part.bytes, part_bytes);
      last = part.bytes.size() < part_bytes;
      if (part.bytes.empty() && parts.parts() > 0) break;
      upload.bytes += static_cast<int64_t>(part.bytes.size());
      parts.Send(std::move(part));
    }
    upload.etags = parts.Finish();
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
