#include "sluice/io/fs/file_stamp.h"

#include <sys/stat.h>

#include <cerrno>

#include "sluice/base/error.h"

namespace sluice::fs {

std::optional<FileStamp> StampOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw IoErrorFromErrno(errno, "stat", path);
  }
  return FileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

void RequireUnchanged(const std::string& path, const FileStamp& opened) {
  const std::optional<FileStamp> now = StampOf(path);
  if (now == opened) return;
  std::string how;
  if (!now) {
    how = fmt::format("was {} bytes, now removed", opened.size);
  } else if (now->device != opened.device || now->inode != opened.inode) {
    how = fmt::format("was {} bytes, now replaced by another file of {} bytes", opened.size,
                      now->size);
  } else if (now->size != opened.size) {
    how = fmt::format("was {} bytes, now {}", opened.size, now->size);
  } else {
    how = fmt::format("{} bytes, modified in place", opened.size);
  }
  throw InvalidData("input {} changed while it was read: {}", path, how)
      .With("file", path)
      .With("what to do",
            "let whatever writes it finish (or read a copy) and run the command again");
}

}  // namespace sluice::fs
