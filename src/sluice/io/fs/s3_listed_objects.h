// S3ListedObjects: the size and ETag of the objects this process has seen in listings and
// HeadObject answers, so that opening an object a listing just returned costs no HeadObject of its
// own (a compaction lists its inputs, reads their footers, then reads their data: two HEADs per
// input file saved). A key is forgotten when this process writes or deletes it; a change by
// another process after the listing is caught by the If-Match every read sends (Conflict), as a
// change after a HeadObject was.
//
// Bounded: past max_entries the memo starts again empty (entries are a listing's worth of small
// strings, outside the memory budget).
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::fs {

struct S3ObjectInfo {
  std::string key;
  int64_t size = 0;
  std::string etag;  // as the store sends it, quotes included
};

class S3ListedObjects {
 public:
  explicit S3ListedObjects(size_t max_entries = size_t{1} << 16) : max_entries_(max_entries) {}

  void Remember(std::string_view bucket, const S3ObjectInfo& info);
  std::optional<S3ObjectInfo> Find(std::string_view bucket, std::string_view key) const;
  void Forget(std::string_view bucket, std::string_view key);

 private:
  static std::string Name(std::string_view bucket, std::string_view key);

  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, S3ObjectInfo> objects_;  // guarded by mu_; by bucket/key
};

}  // namespace sluice::fs
