#include "sluice/io/fs/s3_listed_objects.h"

namespace sluice::fs {

std::string S3ListedObjects::Name(std::string_view bucket, std::string_view key) {
  std::string name;
  name.reserve(bucket.size() + 1 + key.size());
  name.append(bucket).append("/").append(key);
  return name;
}

void S3ListedObjects::Remember(std::string_view bucket, const S3ObjectInfo& info) {
  if (info.etag.empty()) return;  // nothing to pin reads to: let the open ask
  std::string name = Name(bucket, info.key);
  std::lock_guard lock(mu_);
  if (objects_.size() >= max_entries_ && !objects_.contains(name)) objects_.clear();
  objects_.insert_or_assign(std::move(name), info);
}

std::optional<S3ObjectInfo> S3ListedObjects::Find(std::string_view bucket,
                                                  std::string_view key) const {
  std::string name = Name(bucket, key);
  std::lock_guard lock(mu_);
  auto it = objects_.find(name);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

void S3ListedObjects::Forget(std::string_view bucket, std::string_view key) {
  std::string name = Name(bucket, key);
  std::lock_guard lock(mu_);
  objects_.erase(name);
}

}  // namespace sluice::fs
