// AtomicFile: a file written under a temporary sibling name (TemporaryPathFor) and renamed onto
// its target only when complete and synced, so a reader sees the old file or the whole new one,
// never a half-written one; an abandoned or failed write removes its temporary. The one way the
// project writes a local file atomically: whole documents (WriteFileAtomically) and streams
// (the local FileSystem's writable files) alike.
//
// Thread safety: an AtomicFile is used by one thread at a time; distinct ones are independent.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace sluice {

class AtomicFile {
 public:
  // Creates the temporary file. IoError naming the target when it cannot be created.
  explicit AtomicFile(std::string path);
  // Removes the temporary file unless committed.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  // IoError naming the temporary file on a failed write.
  void Append(std::span<const char> bytes);
  // fsync, close and rename onto the target. IoError on failure (the temporary is removed);
  // InvalidArgument when called twice.
  void Commit();

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `content` to `path` through an AtomicFile.
void WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace sluice
