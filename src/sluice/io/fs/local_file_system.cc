#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>

#include "sluice/base/atomic_file.h"
#include "sluice/base/error.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/mapped_read_guard.h"

namespace sluice::fs {
namespace {

class LocalFileView final : public FileView {
 public:
  LocalFileView(void* map, size_t map_size, size_t skip, size_t size)
      : map_(map), map_size_(map_size) {
    data_ = static_cast<const char*>(map) + skip;
    size_ = size;
  }
  // A view of `path` (`file_bytes` at open) whose reads a truncation ends with the file named.
  LocalFileView(void* map, size_t map_size, size_t skip, size_t size, const std::string& path,
                int64_t file_bytes)
      : LocalFileView(map, map_size, skip, size) {
    guard_.emplace(map, map_size, path, file_bytes);
  }
  ~LocalFileView() override {
    guard_.reset();  // before the range can be mapped again
    if (map_ != nullptr) ::munmap(map_, map_size_);
  }

 private:
  void* map_;
  size_t map_size_;
  std::optional<MappedReadGuard> guard_;
};

class LocalReadableFile final : public ReadableFile {
 public:
  LocalReadableFile(std::string path, int fd, int64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~LocalReadableFile() override { ::close(fd_); }
  const std::string& path() const override { return path_; }
  int64_t size() const override { return size_; }
  size_t ReadAt(int64_t offset, std::span<char> out) override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                          static_cast<off_t>(offset + static_cast<int64_t>(done)));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw IoErrorFromErrno(errno, "read", path_).With("offset", std::to_string(offset));
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }
  std::unique_ptr<FileView> Map(int64_t offset, size_t length) override {
    const int64_t end = std::min<int64_t>(size_, offset + static_cast<int64_t>(length));
    if (offset < 0 || offset >= end) return std::make_unique<LocalFileView>(nullptr, 0, 0, 0);
    static const int64_t page = ::sysconf(_SC_PAGESIZE);
    const int64_t start = offset / page * page;
    const size_t map_size = static_cast<size_t>(end - start);
    // MAP_POPULATE: one call maps every page (read-only, so nothing is copied), instead of a
    // page fault per 64 KiB.
    void* map = ::mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_,
                       static_cast<off_t>(start));
    if (map == MAP_FAILED) {
      throw IoErrorFromErrno(errno, "map", path_).With("offset", std::to_string(offset));
    }
    return std::make_unique<LocalFileView>(map, map_size, static_cast<size_t>(offset - start),
                                           static_cast<size_t>(end - offset), path_, size_);
  }

 private:
  std::string path_;
  int fd_;
  int64_t size_;
};

class LocalWritableFile final : public WritableFile {
 public:
  explicit LocalWritableFile(std::string path) : file_(std::move(path)) {}
  const std::string& path() const override { return file_.path(); }
  void Append(std::span<const char> bytes) override { file_.Append(bytes); }
  void Commit() override { file_.Commit(); }

 private:
  AtomicFile file_;
};

FileInfo StatPath(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw IoErrorFromErrno(errno, "stat", path);
  return {path, static_cast<int64_t>(st.st_size)};
}

class Local final : public FileSystem {
 public:
  std::vector<FileInfo> Glob(const std::string& pattern) override {
    std::error_code ec;
    if (std::filesystem::is_directory(pattern, ec)) return List(pattern);
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    std::vector<FileInfo> out;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string p = g.gl_pathv[i];
        if (std::filesystem::is_regular_file(p, ec)) out.push_back(StatPath(p));
      }
    }
    ::globfree(&g);
    if (rc == GLOB_ABORTED) throw IoError("cannot read a directory of {}", pattern);
    if (out.empty()) throw NotFound("no files match {}", pattern);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
  }

  std::vector<FileInfo> List(const std::string& dir) override {
    std::vector<FileInfo> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) throw IoErrorFromErrno(ec.value(), "list", dir);
    for (const auto& entry : it) {
      if (entry.is_regular_file(ec)) out.push_back(StatPath(entry.path().string()));
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
  }

  DirectoryListing ListDirectory(const std::string& dir) override {
    DirectoryListing out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) throw IoErrorFromErrno(ec.value(), "list", dir);
    for (const auto& entry : it) {
      if (entry.is_directory(ec)) {
        out.directories.push_back(entry.path().string());
      } else if (entry.is_regular_file(ec)) {
        out.files.push_back(StatPath(entry.path().string()));
      }
    }
    std::sort(out.files.begin(), out.files.end(), [](auto& a, auto& b) { return a.path < b.path; });
    std::sort(out.directories.begin(), out.directories.end());
    return out;
  }

  FileInfo Stat(const std::string& path) override { return StatPath(path); }

  std::unique_ptr<ReadableFile> OpenForRead(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoErrorFromErrno(errno, "open", path);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      throw IoErrorFromErrno(e, "stat", path);
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      throw InvalidArgument("{} is a directory, not a file", path);
    }
    return std::make_unique<LocalReadableFile>(path, fd, static_cast<int64_t>(st.st_size));
  }

  std::unique_ptr<WritableFile> OpenForWrite(const std::string& path) override {
    return std::make_unique<LocalWritableFile>(path);
  }

  void Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      throw IoErrorFromErrno(errno, "rename", from).With("target", to);
    }
  }

  void Delete(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      throw IoErrorFromErrno(errno, "delete", path);
    }
  }
};

}  // namespace

std::shared_ptr<FileSystem> LocalFileSystem() {
  static std::shared_ptr<FileSystem> local = std::make_shared<Local>();
  return local;
}

std::string ReadWholeFile(FileSystem& fs, const std::string& path) {
  auto file = fs.OpenForRead(path);
  std::string out(static_cast<size_t>(file->size()), '\0');
  out.resize(file->ReadAt(0, out));
  return out;
}

FileBytes ReadWholeFileBytes(FileSystem& fs, const std::string& path) {
  auto file = fs.OpenForRead(path);
  const auto size = static_cast<size_t>(file->size());
  FileBytes out{std::make_unique_for_overwrite<char[]>(size), 0};
  out.size = file->ReadAt(0, std::span<char>(out.data.get(), size));
  return out;
}

void WriteWholeFile(FileSystem& fs, const std::string& path, std::span<const char> bytes) {
  auto file = fs.OpenForWrite(path);
  file->Append(bytes);
  file->Commit();
}

}  // namespace sluice::fs
