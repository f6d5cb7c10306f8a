// S3Url: an `s3://bucket/key` URL split into its bucket and key. The key is everything after the
// bucket's slash, kept byte for byte (S3 keys may hold any UTF-8, including spaces and '?').
//
// Thread safety: values; the functions are pure.
#pragma once

#include <string>
#include <string_view>

namespace sluice::fs {

struct S3Url {
  std::string bucket;
  std::string key;  // may be empty (the bucket's root) or end in '/' (a prefix)

  // "s3://bucket/key".
  std::string ToString() const;
};

// True for "s3://..." (the scheme is matched case-insensitively).
bool IsS3Url(std::string_view path);

// InvalidArgument (naming the URL) when the scheme is not s3:// or the bucket name is empty or
// not a valid bucket name (3-63 characters of a-z, 0-9, '.', '-').
S3Url ParseS3Url(std::string_view url);

}  // namespace sluice::fs
