// S3Client: the S3 REST operations sluice uses, each one signed (SigV4), sent over HttpClient and
// retried under a RetryPolicy. It turns every failure into a sluice::Error that names the
// operation, the s3:// URL, the HTTP status, the store's error code and request id, and how many
// attempts were made; it never puts credentials or signatures into an error or a log line.
//
// What is retried: no response (connection refused or reset, timeouts, stalls), a body cut short,
// HTTP 429/500/502/503/504, and "200 OK" answers whose body is an <Error> (CopyObject and
// CompleteMultipartUpload may answer so). Waits use full-jitter backoff; the policy's deadline
// bounds an operation as a whole.
//
// Error kinds: 404 is NotFound, 409 and 412 (the object changed under a read) are Conflict, the
// rest Io.
// Ownership: the client owns its connections; it may be shared (std::shared_ptr) by many files.
// Thread safety: every method may be called from any number of threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <semaphore>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/io/fs/aws_config.h"
#include "sluice/io/fs/http_client.h"
#include "sluice/io/fs/retry_policy.h"
#include "sluice/io/fs/s3_listed_objects.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::fs {

struct S3ClientOptions {
  RetryPolicy retry;
  HttpTimeouts timeouts;
  // Requests this client has in flight at most, from all threads (`--limit s3=N`); more wait.
  int max_in_flight = 64;
};

struct S3ListPage {
  std::vector<S3ObjectInfo> objects;
  std::vector<std::string> common_prefixes;  // with a delimiter: the "subdirectories"
  std::string next_continuation_token;       // empty on the last page
};

struct S3MultipartUpload {
  std::string key;
  std::string upload_id;
};

// Requests sent (attempts included), by kind; for tests and benchmarks. get counts object reads
// (GetObject); list counts ListObjectsV2 and ListMultipartUploads.
struct S3RequestCounts {
  int64_t get = 0, head = 0, put = 0, post = 0, list = 0, del = 0, retries = 0;
};

class S3Client {
 public:
  explicit S3Client(AwsConfig config, S3ClientOptions options = {});

  const AwsConfig& config() const { return config_; }
  S3RequestCounts counts() const;

  S3ObjectInfo HeadObject(const S3Url& url);
  // What the last listing or HeadObject of this client said of the object, unless this client
  // wrote or deleted it since (s3_listed_objects.h); nullopt when it has not seen it.
  std::optional<S3ObjectInfo> Listed(const S3Url& url) const {
    return listed_.Find(url.bucket, url.key);
  }
  // Reads [offset, offset + out.size()) into out; the range must lie inside the object (the
  // caller clips it to the size). With if_match (an ETag) a changed object fails with Conflict
  // instead of mixing bytes of two versions. Returns out.size(); anything shorter is an error.
  size_t GetRange(const S3Url& url, int64_t offset, std::span<char> out,
                  std::string_view if_match = {});
  void PutObject(const S3Url& url, std::span<const char> body);
  // One page of ListObjectsV2 under a prefix; with a delimiter ("/") keys below the next
  // delimiter are rolled up into common_prefixes.
  // max_keys > 0 asks for smaller pages (the store's default is 1000).
  S3ListPage ListObjectsV2(std::string_view bucket, std::string_view prefix,
                           std::string_view delimiter, std::string_view continuation_token = {},
                           int max_keys = 0);
  // All pages.
  std::vector<S3ObjectInfo> ListAll(std::string_view bucket, std::string_view prefix,
                                    std::string_view delimiter,
                                    std::vector<std::string>* common_prefixes = nullptr,
                                    int max_keys = 0);

  // Multipart upload: returns the upload id.
  std::string CreateMultipartUpload(const S3Url& url);
  // Returns the part's ETag. Part numbers start at 1.
  std::string UploadPart(const S3Url& url, const std::string& upload_id, int part_number,
                         std::span<const char> body);
  // etags[i] is part i + 1's. A retried completion that finds the upload gone (it did complete)
  // checks with HeadObject that the object exists instead of failing.
  void CompleteMultipartUpload(const S3Url& url, const std::string& upload_id,
                               const std::vector<std::string>& etags);
  void AbortMultipartUpload(const S3Url& url, const std::string& upload_id);
  std::vector<S3MultipartUpload> ListMultipartUploads(std::string_view bucket,
                                                      std::string_view prefix);

  // Server-side copy (objects up to 5 GiB).
  void CopyObject(const S3Url& from, const S3Url& to);
  // Succeeds when the object does not exist.
  void DeleteObject(const S3Url& url);
  void CreateBucket(std::string_view bucket);

 private:
  struct Call {
    std::string_view operation;  // "GetObject"
    std::string method;
    S3Url url;
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::span<const char> body;
    std::span<char> body_out;
    // Returns a description when a 2xx answer is unusable (then the attempt is retried).
    std::function<std::string(const HttpResponse&)> check;
    // The s3:// URL errors name when it is not `url` (a listing names its prefix).
    std::string shown_url;
  };
  HttpResponse Send(const Call& call);

  AwsConfig config_;
  S3ClientOptions options_;
  HttpClient http_;
  S3ListedObjects listed_;
  std::counting_semaphore<> slots_;  // one per request in flight
  std::atomic<int64_t> get_{0}, head_{0}, put_{0}, post_{0}, list_{0}, del_{0}, retries_{0};
};

}  // namespace sluice::fs
