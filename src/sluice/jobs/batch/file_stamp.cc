#include "sluice/jobs/batch/file_stamp.h"

#include <cerrno>
#include <map>
#include <optional>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_stamp.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice {
namespace {

// A local file's size and modification time as every input reader stamps them (io/fs/file_stamp.h).
FileStamp StampLocal(const std::string& path) {
  const std::optional<fs::FileStamp> stamp = fs::StampOf(path);
  if (!stamp) throw IoErrorFromErrno(ENOENT, "stat", path);
  return {path, stamp->size, stamp->modified_ns, ""};
}

// The objects directly under each (bucket, prefix) the URLs sit in, listed once per prefix.
class ObjectListings {
 public:
  FileStamp Stamp(const std::string& url) {
    const fs::S3Url parsed = fs::ParseS3Url(url);
    const size_t slash = parsed.key.find_last_of('/');
    const std::string prefix = slash == std::string::npos ? "" : parsed.key.substr(0, slash + 1);
    auto [it, added] = listed_.try_emplace({parsed.bucket, prefix});
    if (added) {
      for (fs::S3ObjectInfo& o : fs::ProcessS3Client()->ListAll(parsed.bucket, prefix, "/")) {
        it->second.emplace(o.key, std::move(o));
      }
    }
    auto found = it->second.find(parsed.key);
    if (found == it->second.end()) throw NotFound("the object is gone").With("file", url);
    return {url, found->second.size, 0, found->second.etag};
  }

 private:
  // (bucket, prefix) -> key -> object.
  std::map<std::pair<std::string, std::string>, std::map<std::string, fs::S3ObjectInfo>> listed_;
};

}  // namespace

std::vector<FileStamp> StampFiles(const std::vector<std::string>& paths) {
  std::vector<FileStamp> out;
  ObjectListings objects;
  for (const std::string& path : paths) {
    out.push_back(fs::IsS3Url(path) ? objects.Stamp(path) : StampLocal(path));
  }
  return out;
}

}  // namespace sluice
