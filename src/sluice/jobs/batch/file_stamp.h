// FileStamp: what a batched job's next run needs to trust that an input file did not change, as
// make and rsync do: a local file's path, size and modification time (ns); an object's URL, size
// and ETag (the store's digest of its content: a replaced object gets a new one, unless its bytes
// are the same). StampFiles takes them with one stat per local file and one listing per object
// "directory" (ListObjectsV2 carries every ETag), not a request per object.
//
// Thread safety: plain values; StampFiles may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct FileStamp {
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;  // local files; 0 for objects
  std::string etag;      // objects, as the store sends it; empty for local files
  bool operator==(const FileStamp&) const = default;
};

// In the order of `paths`. NotFound naming a file or object that is gone.
std::vector<FileStamp> StampFiles(const std::vector<std::string>& paths);

}  // namespace sluice
