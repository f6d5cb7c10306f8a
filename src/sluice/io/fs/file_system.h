// FileSystem: the file operations sluice's readers and writers need (listing and glob, ranged
// reads, whole-file writes that appear at once on Commit), behind one interface with a local
// implementation (here) and an S3 one (s3_file_system.h); FileSystemFor (file_system_for.h)
// picks by path.
//
// Ownership: a FileSystem hands out ReadableFile/WritableFile objects that the caller owns; each
// holds its own descriptor and may outlive the FileSystem.
// Thread safety: FileSystem methods and ReadableFile::ReadAt may be called concurrently; a
// WritableFile is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::fs {

struct FileInfo {
  std::string path;
  int64_t size = 0;
};

// What a directory directly holds: regular files, and subdirectories (paths without a trailing
// slash; on object stores, the key prefixes one level down). Each sorted by path.
struct DirectoryListing {
  std::vector<FileInfo> files;
  std::vector<std::string> directories;
};

// Read-only bytes of a file mapped into memory (the page cache itself: no copy). Unmapped when
// destroyed; immutable, so any thread may read it.
class FileView {
 public:
  virtual ~FileView() = default;
  const char* data() const { return data_; }
  size_t size() const { return size_; }

 protected:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  virtual const std::string& path() const = 0;
  virtual int64_t size() const = 0;
  // Reads up to out.size() bytes at offset; returns the count, short only at the end of the file.
  // IoError (with the file as context) on failure.
  virtual size_t ReadAt(int64_t offset, std::span<char> out) = 0;
  // [offset, offset + length) clipped to the file, mapped read-only; nullptr where the file
  // system cannot map files (then use ReadAt). Saves ReadAt's copy for data in the page cache.
  virtual std::unique_ptr<FileView> Map(int64_t offset, size_t length) {
    (void)offset;
    (void)length;
    return nullptr;
  }
};

// Commit makes the whole file visible at once, so readers see the old file or the whole new one;
// destroying an uncommitted file leaves nothing. Local: bytes go to a temporary name beside the
// target, and Commit fsyncs and renames it into place. S3: parts of a multipart upload (or one
// PUT), and Commit completes it.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual const std::string& path() const = 0;
  virtual void Append(std::span<const char> bytes) = 0;
  virtual void Commit() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Files matching a pattern (`*`, `?`, `[...]`, sorted by path). A directory matches as the
  // regular files directly inside it; a plain path must exist. NotFound when nothing matches.
  virtual std::vector<FileInfo> Glob(const std::string& pattern) = 0;
  // Regular files directly inside a directory, sorted by path.
  virtual std::vector<FileInfo> List(const std::string& dir) = 0;
  // Files and subdirectories directly inside a directory (hive partitions are found this way).
  // Local: Io when the directory cannot be read. Object stores: empty for a missing prefix.
  virtual DirectoryListing ListDirectory(const std::string& dir) = 0;
  virtual FileInfo Stat(const std::string& path) = 0;
  virtual std::unique_ptr<ReadableFile> OpenForRead(const std::string& path) = 0;
  virtual std::unique_ptr<WritableFile> OpenForWrite(const std::string& path) = 0;
  virtual void Rename(const std::string& from, const std::string& to) = 0;
  virtual void Delete(const std::string& path) = 0;
};

// The local POSIX file system (pread, glob(3), rename(2)).
std::shared_ptr<FileSystem> LocalFileSystem();

// Reads a whole file (small files: metadata, test data).
std::string ReadWholeFile(FileSystem& fs, const std::string& path);

// A whole file's bytes in a buffer the read fills without zeroing it first: for data files
// fetched whole (compaction's S3 inputs), where a std::string's zero fill of every buffer cost
// a tenth of the job's CPU.
struct FileBytes {
  std::unique_ptr<char[]> data;
  size_t size = 0;
};
FileBytes ReadWholeFileBytes(FileSystem& fs, const std::string& path);
// Writes a whole file through OpenForWrite + Commit.
void WriteWholeFile(FileSystem& fs, const std::string& path, std::span<const char> bytes);

}  // namespace sluice::fs
