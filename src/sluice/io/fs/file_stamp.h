// FileStamp: one version of a local input file (device, inode, size, modification time), taken
// when the file is opened and compared after its bytes are read, so that an input another process
// changes while sluice reads it (truncated, appended to, rewritten in place, replaced or removed)
// fails with an error naming it instead of mixing two versions into one result. Every reader of
// inputs checks through this one mechanism (stamped_file.h wraps a ReadableFile with it).
//
// The stamp is enough without a checksum of the bytes read (a Parquet footer): any write through
// the file system moves the modification time, and a replacement is another inode. A writer that
// sets the time back by hand, or a write within the file system's clock tick of the stamp with the
// size unchanged, goes unseen.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sluice::fs {

struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t modified_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// The stamp of the local file at `path` now; nullopt when there is none (removed). IoError on
// other failures.
std::optional<FileStamp> StampOf(const std::string& path);

// InvalidData naming `path` unless it still has the stamp `opened`: "input P changed while it was
// read: was N bytes, now M" (or removed, replaced by another file, modified in place), with what
// to do.
void RequireUnchanged(const std::string& path, const FileStamp& opened);

}  // namespace sluice::fs
