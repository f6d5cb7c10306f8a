#include "sluice/io/fs/s3_file_system.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/fs/s3_part_uploader.h"

namespace sluice::fs {
namespace {

class S3ReadableFile final : public ReadableFile {
 public:
  // listed: info came from a listing, not a HeadObject of this open (see Revalidate).
  S3ReadableFile(std::shared_ptr<S3Client> client, S3Url url, S3ObjectInfo info, bool listed,
                 const S3FileSystemOptions& options)
      : client_(std::move(client)),
        url_(std::move(url)),
        path_(url_.ToString()),
        info_(std::move(info)),
        read_ahead_(static_cast<size_t>(std::max<int64_t>(options.read_ahead_bytes, 0))),
        read_whole_(read_ahead_ > 0 && info_.size <= options.whole_object_bytes),
        memory_(options.memory),
        confirmed_(!listed) {}
  const std::string& path() const override { return path_; }
  int64_t size() const override { return info_.size; }
  size_t ReadAt(int64_t offset, std::span<char> out) override {
    if (offset < 0) throw InvalidArgument("negative read offset {}", offset).With("file", path_);
    if (offset >= info_.size || out.empty()) return 0;
    size_t length = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(out.size()), info_.size - offset));
    {
      std::lock_guard lock(mu_);
      if (offset >= window_offset_ && offset + static_cast<int64_t>(length) <=
                                          window_offset_ + static_cast<int64_t>(window_.size())) {
        std::memcpy(out.data(), window_.data() + (offset - window_offset_), length);
        return length;
      }
    }
    try {
      try {
        return Fetch(offset, out.first(length));
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::kConflict || !Revalidate()) throw;
      }
      return Fetch(offset, out.first(length));
    } catch (Error& error) {
      throw std::move(error.With("offset", std::to_string(offset)));
    }
  }

 private:
  size_t Fetch(int64_t offset, std::span<char> out) {
    const size_t length = out.size();
    const std::string etag = Etag();
    // A small object's data is fetched whole by the first read that is not at its end, and
    // kept: compaction reads it column by column across its row groups, which one window
    // would fetch again for every column. A read that ends at the end (a Parquet footer) does
    // not: planning reads footers alone.
    const bool at_end = offset + static_cast<int64_t>(length) == info_.size;
    const bool whole = read_whole_ && !at_end;
    if (length >= read_ahead_ && !whole) return GetRanges(offset, out.first(length), etag);
    // A small read fetches read_ahead bytes and keeps them: the next column chunks of a row
    // group usually follow. A read that ends at the end (a footer: its reader sized it) is
    // fetched as asked, or whole when the object is no larger than a window, and kept.
    // Kept bytes are held in the process's S3 share of the memory budget: without room for the
    // whole object a window is kept; without room for that, nothing, and the read fetches
    // only what it asked for.
    int64_t start = 0, kept = 0;
    std::optional<MemoryGate::Hold> hold;
    const int64_t ahead = static_cast<int64_t>(read_ahead_);
    const int64_t window = length >= read_ahead_ ? 0
                           : !at_end             ? ahead
                           : info_.size <= ahead ? info_.size
                                                 : static_cast<int64_t>(length);
    for (int64_t bytes : {whole ? info_.size : int64_t{0}, window}) {
      if (bytes == 0 || hold) continue;
      start = std::min(offset, std::max<int64_t>(0, info_.size - bytes));
      kept = std::min(bytes, info_.size - start);
      hold = memory_->TryAcquire(kept);
    }
    if (!hold) return GetRanges(offset, out.first(length), etag);
    std::string bytes(static_cast<size_t>(kept), '\0');
    client_->GetRange(url_, start, bytes, etag);
    confirmed_ = true;
    std::memcpy(out.data(), bytes.data() + (offset - start), length);
    std::lock_guard lock(mu_);
    window_ = std::move(bytes);
    window_offset_ = start;
    window_hold_ = std::move(hold);
    return length;
  }

  std::string Etag() {
    std::lock_guard lock(mu_);
    return info_.etag;
  }

  // The first read of an object opened from a listing found another version (412): the object
  // was rewritten after the listing. When it still has the listed size, reading goes on with the
  // version there now, as if this open had sent a HeadObject (nothing was read before); with
  // another size the caller may already have used the old one, so the change is an error.
  // Returns whether to read again.
  bool Revalidate() {
    if (confirmed_) return false;
    S3ObjectInfo now = client_->HeadObject(url_);
    std::lock_guard lock(mu_);
    if (now.size != info_.size) {
      throw Conflict("{} changed after it was listed: {} bytes then, {} now", path_, info_.size,
                     now.size)
          .With("url", path_);
    }
    info_.etag = std::move(now.etag);
    confirmed_ = true;
    return true;
  }

  // Straight into `out`; a large read as several ranges at once, each on a thread of its own
  // (the client caps the requests in flight), into the caller's buffer: no bytes of ours.
  size_t GetRanges(int64_t offset, std::span<char> out, const std::string& etag) {
    constexpr size_t kRange = 8 << 20;
    std::vector<std::future<size_t>> rest;
    for (size_t at = kRange; at < out.size(); at += kRange) {
      std::span<char> range = out.subspan(at, std::min(kRange, out.size() - at));
      rest.push_back(std::async(std::launch::async, [this, offset, at, range, &etag] {
        return client_->GetRange(url_, offset + static_cast<int64_t>(at), range, etag);
      }));
    }
    client_->GetRange(url_, offset, out.first(std::min(kRange, out.size())), etag);
    for (std::future<size_t>& range : rest) range.get();  // rethrows the first failure
    confirmed_ = true;
    return out.size();
  }

  std::shared_ptr<S3Client> client_;
  S3Url url_;
  std::string path_;
  S3ObjectInfo info_;
  const size_t read_ahead_;
  const bool read_whole_;  // the object is at most whole_object_bytes
  std::shared_ptr<MemoryGate> memory_;
  std::mutex mu_;
  std::string window_;                           // guarded by mu_: the last read-ahead bytes
  int64_t window_offset_ = 0;                    // guarded by mu_
  std::optional<MemoryGate::Hold> window_hold_;  // guarded by mu_: window_'s bytes
  std::atomic<bool> confirmed_;  // a read found the version this open reads (or a HEAD did)
};

class S3WritableFile final : public WritableFile {
 public:
  S3WritableFile(std::shared_ptr<S3Client> client, S3Url url, const S3FileSystemOptions& options)
      : client_(std::move(client)),
        url_(std::move(url)),
        path_(url_.ToString()),
        part_size_(static_cast<size_t>(options.part_size)),
        parts_in_flight_(options.parts_in_flight),
        memory_(options.memory) {}
  ~S3WritableFile() override {
    uploader_.reset();  // waits for the parts still out
    if (committed_ || upload_id_.empty()) return;
    try {
      client_->AbortMultipartUpload(url_, upload_id_);
    } catch (const std::exception& e) {
      SLUICE_LOG_WARN("could not abort the unfinished upload of {}: {}", path_, e.what());
    }
  }
  const std::string& path() const override { return path_; }

  void Append(std::span<const char> bytes) override {
    CheckWritable();
    while (!bytes.empty()) {
      if (!part_) part_ = S3PartUploader::NewPart(*memory_, part_size_);
      size_t take = std::min(bytes.size(), part_size_ - part_->bytes.size());
      part_->bytes.append(bytes.data(), take);
      bytes = bytes.subspan(take);
      if (part_->bytes.size() == part_size_) SendPart();
    }
  }

  void Commit() override {
    CheckWritable();
    failed_ = true;  // until it succeeds
    if (uploader_ == nullptr) {
      client_->PutObject(url_,
                         part_ ? std::span<const char>(part_->bytes) : std::span<const char>());
    } else {
      if (part_ && !part_->bytes.empty()) SendPart();
      client_->CompleteMultipartUpload(url_, upload_id_, uploader_->Finish());
    }
    committed_ = true;
    failed_ = false;
    part_.reset();
  }

 private:
  void CheckWritable() {
    if (committed_) throw InvalidArgument("{} is already committed", path_);
    if (failed_)
      throw IoError("{} failed earlier and cannot be written", path_).With("file", path_);
  }
  void SendPart() {
    failed_ = true;
    if (uploader_ == nullptr) {
      upload_id_ = client_->CreateMultipartUpload(url_);
      uploader_ = std::make_unique<S3PartUploader>(*client_, url_, upload_id_, parts_in_flight_);
    }
    uploader_->Send(std::move(*part_));
    part_.reset();
    failed_ = false;
  }

  std::shared_ptr<S3Client> client_;
  S3Url url_;
  std::string path_;
  const size_t part_size_;
  const int parts_in_flight_;
  std::shared_ptr<MemoryGate> memory_;
  std::optional<S3PartUploader::Part> part_;  // the part being gathered
  std::string upload_id_;
  std::unique_ptr<S3PartUploader> uploader_;  // once the file outgrew one part
  bool committed_ = false;
  bool failed_ = false;
};

bool HasWildcard(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

class S3FileSystem final : public FileSystem {
 public:
  S3FileSystem(std::shared_ptr<S3Client> client, S3FileSystemOptions options)
      : client_(std::move(client)), options_(std::move(options)) {
    SLUICE_CHECK_GT(options_.part_size, 0);
    if (options_.memory == nullptr) options_.memory = std::make_shared<MemoryGate>(256 << 20);
  }

  std::vector<FileInfo> Glob(const std::string& pattern) override {
    S3Url url = ParseS3Url(pattern);
    std::vector<FileInfo> out;
    if (!HasWildcard(url.key)) {
      if (!url.key.empty() && !url.key.ends_with('/')) {
        try {
          return {Stat(pattern)};
        } catch (const Error& error) {
          if (error.kind() != ErrorKind::kNotFound ||
              error.ContextValue("s3 error") == "NoSuchBucket") {
            throw;
          }
        }
      }
      out = List(pattern);
    } else {
      size_t literal = url.key.find_first_of("*?[");
      std::string prefix = url.key.substr(0, literal);
      // A pattern whose wildcards all lie in its last path segment needs only that "directory".
      bool one_level = url.key.find('/', literal) == std::string::npos;
      for (const S3ObjectInfo& object :
           client_->ListAll(url.bucket, prefix, one_level ? "/" : "")) {
        if (object.key.ends_with('/')) continue;  // a "directory" marker
        if (::fnmatch(url.key.c_str(), object.key.c_str(), FNM_PATHNAME) != 0) continue;
        out.push_back({S3Url{url.bucket, object.key}.ToString(), object.size});
      }
    }
    if (out.empty()) throw NotFound("no files match {}", pattern).With("url", pattern);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
  }

  std::vector<FileInfo> List(const std::string& dir) override {
    S3Url url = ParseS3Url(dir);
    if (!url.key.empty() && !url.key.ends_with('/')) url.key += '/';
    std::vector<FileInfo> out;
    for (const S3ObjectInfo& object : client_->ListAll(url.bucket, url.key, "/")) {
      if (object.key.ends_with('/')) continue;
      out.push_back({S3Url{url.bucket, object.key}.ToString(), object.size});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
  }

  DirectoryListing ListDirectory(const std::string& dir) override {
    S3Url url = ParseS3Url(dir);
    if (!url.key.empty() && !url.key.ends_with('/')) url.key += '/';
    DirectoryListing out;
    std::vector<std::string> prefixes;
    for (const S3ObjectInfo& object : client_->ListAll(url.bucket, url.key, "/", &prefixes)) {
      if (object.key.ends_with('/')) continue;
      out.files.push_back({S3Url{url.bucket, object.key}.ToString(), object.size});
    }
    for (std::string& prefix : prefixes) {
      prefix.pop_back();  // the delimiter
      out.directories.push_back(S3Url{url.bucket, prefix}.ToString());
    }
    std::sort(out.files.begin(), out.files.end(), [](auto& a, auto& b) { return a.path < b.path; });
    std::sort(out.directories.begin(), out.directories.end());
    return out;
  }

  FileInfo Stat(const std::string& path) override {
    return {path, client_->HeadObject(ParseObjectUrl(path)).size};
  }

  std::unique_ptr<ReadableFile> OpenForRead(const std::string& path) override {
    S3Url url = ParseObjectUrl(path);
    std::optional<S3ObjectInfo> info = client_->Listed(url);
    const bool listed = info.has_value();
    if (!listed) info = client_->HeadObject(url);
    return std::make_unique<S3ReadableFile>(client_, std::move(url), std::move(*info), listed,
                                            options_);
  }

  std::unique_ptr<WritableFile> OpenForWrite(const std::string& path) override {
    return std::make_unique<S3WritableFile>(client_, ParseObjectUrl(path), options_);
  }

  void Rename(const std::string& from, const std::string& to) override {
    S3Url source = ParseObjectUrl(from);
    client_->CopyObject(source, ParseObjectUrl(to));
    client_->DeleteObject(source);
  }

  void Delete(const std::string& path) override { client_->DeleteObject(ParseObjectUrl(path)); }

 private:
  static S3Url ParseObjectUrl(const std::string& path) {
    S3Url url = ParseS3Url(path);
    if (url.key.empty() || url.key.ends_with('/')) {
      throw InvalidArgument("{} names no object (it ends with '/')", path).With("url", path);
    }
    return url;
  }

  std::shared_ptr<S3Client> client_;
  S3FileSystemOptions options_;
};

}  // namespace

std::shared_ptr<FileSystem> MakeS3FileSystem(std::shared_ptr<S3Client> client,
                                             S3FileSystemOptions options) {
  return std::make_shared<S3FileSystem>(std::move(client), options);
}

}  // namespace sluice::fs
