#include "sluice/io/fs/s3_url.h"

#include <cctype>

#include "sluice/base/error.h"

namespace sluice::fs {

std::string S3Url::ToString() const { return "s3://" + bucket + "/" + key; }

bool IsS3Url(std::string_view path) {
  if (path.size() < 5) return false;
  for (size_t i = 0; i < 5; ++i) {
    if (std::tolower(static_cast<unsigned char>(path[i])) != "s3://"[i]) return false;
  }
  return true;
}

S3Url ParseS3Url(std::string_view url) {
  if (!IsS3Url(url)) throw InvalidArgument("not an s3:// URL: {}", url);
  std::string_view rest = url.substr(5);
  size_t slash = rest.find('/');
  S3Url out;
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.key = std::string(rest.substr(slash + 1));
  bool valid = out.bucket.size() >= 3 && out.bucket.size() <= 63;
  for (char c : out.bucket) {
    valid = valid &&
            ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_');
  }
  if (!valid) {
    throw InvalidArgument("{} has no valid bucket name (3-63 characters: a-z, 0-9, '.', '-')", url)
        .With("url", std::string(url));
  }
  return out;
}

}  // namespace sluice::fs
