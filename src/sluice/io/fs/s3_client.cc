#include "sluice/io/fs/s3_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/fs/aws_sigv4.h"
#include "sluice/io/fs/s3_xml.h"

namespace sluice::fs {
namespace {

using Clock = std::chrono::steady_clock;

// "host[:port]" and the path ("/..." or "") of a URL without query.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t path_start = url.find('/', host_start);
  if (path_start == std::string::npos) return {url.substr(host_start), ""};
  return {url.substr(host_start, path_start - host_start), url.substr(path_start)};
}

bool Is2xx(long status) { return status >= 200 && status < 300; }

// An <Error> body in a 2xx answer (CopyObject, CompleteMultipartUpload).
std::string ErrorInBody(const HttpResponse& response) {
  if (response.body.find("<Error>") == std::string::npos) return "";
  return XmlText(response.body, "Code") + ": " + XmlText(response.body, "Message");
}

std::string DefaultCode(long status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 503:
      return "ServiceUnavailable";
    default:
      return "";
  }
}

}  // namespace

S3Client::S3Client(AwsConfig config, S3ClientOptions options)
    : config_(std::move(config)),
      options_(options),
      http_(options.timeouts),
      slots_(std::max(1, options.max_in_flight)) {}

S3RequestCounts S3Client::counts() const {
  return {get_.load(),  head_.load(), put_.load(),    post_.load(),
          list_.load(), del_.load(),  retries_.load()};
}

HttpResponse S3Client::Send(const Call& call) {
  // Whatever a write does to the object (even when it fails), what a listing said of it is stale.
  if (call.method != "GET" && call.method != "HEAD" && !call.url.key.empty()) {
    listed_.Forget(call.url.bucket, call.url.key);
  }
  std::string base = BucketBaseUrl(config_, call.url.bucket);
  auto [host, base_path] = SplitUrl(base);
  std::string path = base_path;
  if (!call.url.key.empty() || base_path.empty()) path += "/" + UriEncode(call.url.key, true);
  std::string query = CanonicalQueryString(call.query);
  HttpRequest request;
  request.method = call.method;
  request.url =
      base.substr(0, base.size() - base_path.size()) + path + (query.empty() ? "" : "?" + query);
  request.body = call.body;
  std::string payload_hash =
      call.body.empty() ? std::string(kEmptyPayloadSha256) : Sha256Hex(call.body);
  std::string url_text = call.shown_url.empty() ? call.url.ToString() : call.shown_url;

  const RetryPolicy& policy = options_.retry;
  const auto deadline = Clock::now() + policy.operation_deadline;
  for (int attempt = 1;; ++attempt) {
    std::string amz_date = AmzDate(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    SigningRequest signing{.method = call.method,
                           .encoded_path = path,
                           .query = call.query,
                           .headers = call.headers,
                           .payload_sha256 = payload_hash};
    signing.headers.emplace_back("host", host);
    signing.headers.emplace_back("x-amz-date", amz_date);
    signing.headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!config_.credentials.session_token.empty()) {
      signing.headers.emplace_back("x-amz-security-token", config_.credentials.session_token);
    }
    request.headers = signing.headers;
    if (!config_.credentials.anonymous()) {
      SigningScope scope{.access_key_id = config_.credentials.access_key_id,
                         .secret_access_key = config_.credentials.secret_access_key,
                         .region = config_.region,
                         .service = "s3",
                         .amz_date = amz_date};
      request.headers.emplace_back("Authorization", AuthorizationHeader(scope, signing));
    }
    if (call.method == "GET") {
      // Listings of uploads are listings too: GET counts object reads alone.
      (call.operation == "ListObjectsV2" || call.operation == "ListMultipartUploads" ? list_
                                                                                     : get_)++;
    } else if (call.method == "HEAD") {
      head_++;
    } else if (call.method == "PUT") {
      put_++;
    } else if (call.method == "POST") {
      post_++;
    } else if (call.method == "DELETE") {
      del_++;
    }

    if (attempt == 1) {  // --log-level debug lists every request (retries are logged below)
      auto range = std::find_if(call.headers.begin(), call.headers.end(),
                                [](const auto& h) { return h.first == "range"; });
      SLUICE_LOG_DEBUG("S3 {} {}{}", call.operation, url_text,
                       range == call.headers.end() ? "" : " " + range->second);
    }
    slots_.acquire();
    HttpResponse response;
    try {
      response = http_.Perform(request, call.body_out);
    } catch (...) {
      slots_.release();
      throw;
    }
    slots_.release();
    std::string problem;  // why this attempt failed, when it did
    bool retryable = false;
    if (response.transport_failed()) {
      problem = response.transport_error;
      retryable = true;
    } else if (Is2xx(response.status)) {
      problem = call.check ? call.check(response) : "";
      if (problem.empty()) return response;
      retryable = true;
    } else {
      retryable = IsRetryableHttpStatus(response.status);
      // 400 RequestTimeout: the store gave up waiting for our body (a stalled upload).
      if (response.status == 400 && XmlText(response.body, "Code") == "RequestTimeout") {
        retryable = true;
      }
    }
    auto wait = BackoffDelay(policy, attempt);
    if (retryable && attempt < policy.max_attempts && Clock::now() + wait < deadline) {
      retries_++;
      SLUICE_LOG_DEBUG("S3 {} {}: attempt {} failed ({}), retrying in {} ms", call.operation,
                       url_text, attempt,
                       problem.empty() ? std::to_string(response.status) : problem, wait.count());
      std::this_thread::sleep_for(wait);
      continue;
    }

    // Give up: one error with everything a user needs to act on it, and no secrets.
    std::string code = XmlText(response.body, "Code");
    std::string message = XmlText(response.body, "Message");
    std::string request_id = std::string(response.Header("x-amz-request-id"));
    if (request_id.empty()) request_id = XmlText(response.body, "RequestId");
    if (code.empty() && !response.transport_failed()) code = DefaultCode(response.status);
    ErrorKind kind = ErrorKind::kIo;
    if (!response.transport_failed() && problem.empty()) {
      if (response.status == 404) kind = ErrorKind::kNotFound;
      if (response.status == 409 || response.status == 412) kind = ErrorKind::kConflict;
    }
    std::string what;
    if (!problem.empty()) {
      what = problem;
    } else {
      what = "HTTP " + std::to_string(response.status) + (code.empty() ? "" : " " + code) +
             (message.empty() ? "" : ": " + message);
    }
    Error error(kind, fmt::format("S3 {} {} failed: {}", call.operation, url_text, what));
    error.With("url", url_text).With("operation", std::string(call.operation));
    if (response.status != 0) error.With("http status", std::to_string(response.status));
    if (!code.empty()) error.With("s3 error", code);
    if (!request_id.empty()) error.With("request id", request_id);
    error.With("attempts", std::to_string(attempt));
    throw error;
  }
}

S3ObjectInfo S3Client::HeadObject(const S3Url& url) {
  HttpResponse response = Send({.operation = "HeadObject", .method = "HEAD", .url = url});
  S3ObjectInfo info;
  info.key = url.key;
  std::string length(response.Header("content-length"));
  if (length.empty()) {
    throw IoError("S3 HeadObject {} answered without a Content-Length", url.ToString())
        .With("url", url.ToString());
  }
  info.size = std::stoll(length);
  info.etag = std::string(response.Header("etag"));
  listed_.Remember(url.bucket, info);
  return info;
}

size_t S3Client::GetRange(const S3Url& url, int64_t offset, std::span<char> out,
                          std::string_view if_match) {
  if (out.empty()) return 0;
  const int64_t last = offset + static_cast<int64_t>(out.size()) - 1;
  Call call{.operation = "GetObject", .method = "GET", .url = url};
  call.headers.emplace_back("range", fmt::format("bytes={}-{}", offset, last));
  if (!if_match.empty()) call.headers.emplace_back("if-match", std::string(if_match));
  call.body_out = out;
  call.check = [&](const HttpResponse& response) -> std::string {
    // The body must be exactly the range asked for: a short one is never taken as data.
    if (response.body_bytes != out.size()) {
      return fmt::format("the body holds {} bytes, not the {} asked for", response.body_bytes,
                         out.size());
    }
    std::string_view range = response.Header("content-range");
    if (response.status == 206 && !range.starts_with(fmt::format("bytes {}-{}/", offset, last))) {
      return fmt::format("the answer is for another range ({})", range);
    }
    if (response.status == 200 && offset != 0) return "the store ignored the Range header";
    return "";
  };
  Send(call);
  return out.size();
}

void S3Client::PutObject(const S3Url& url, std::span<const char> body) {
  Send({.operation = "PutObject", .method = "PUT", .url = url, .body = body});
}

S3ListPage S3Client::ListObjectsV2(std::string_view bucket, std::string_view prefix,
                                   std::string_view delimiter, std::string_view continuation_token,
                                   int max_keys) {
  Call call{.operation = "ListObjectsV2", .method = "GET", .url = {std::string(bucket), ""}};
  call.shown_url = S3Url{std::string(bucket), std::string(prefix)}.ToString();
  call.query = {{"list-type", "2"}, {"prefix", std::string(prefix)}};
  if (!delimiter.empty()) call.query.emplace_back("delimiter", std::string(delimiter));
  if (!continuation_token.empty()) {
    call.query.emplace_back("continuation-token", std::string(continuation_token));
  }
  if (max_keys > 0) call.query.emplace_back("max-keys", std::to_string(max_keys));
  call.check = [](const HttpResponse& response) -> std::string {
    if (response.body.find("ListBucketResult") == std::string::npos) {
      return "the answer is not a ListBucketResult";
    }
    return "";
  };
  HttpResponse response = Send(call);
  S3ListPage page;
  for (std::string_view contents : XmlElements(response.body, "Contents")) {
    S3ObjectInfo info;
    info.key = XmlText(contents, "Key");
    info.size = std::stoll("0" + XmlText(contents, "Size"));
    info.etag = XmlText(contents, "ETag");
    listed_.Remember(bucket, info);
    page.objects.push_back(std::move(info));
  }
  for (std::string_view prefixes : XmlElements(response.body, "CommonPrefixes")) {
    page.common_prefixes.push_back(XmlText(prefixes, "Prefix"));
  }
  if (XmlText(response.body, "IsTruncated") == "true") {
    page.next_continuation_token = XmlText(response.body, "NextContinuationToken");
    if (page.next_continuation_token.empty()) {
      throw IoError("S3 ListObjectsV2 s3://{}/{} is truncated but has no continuation token",
                    bucket, prefix);
    }
  }
  return page;
}

std::vector<S3ObjectInfo> S3Client::ListAll(std::string_view bucket, std::string_view prefix,
                                            std::string_view delimiter,
                                            std::vector<std::string>* common_prefixes,
                                            int max_keys) {
  std::vector<S3ObjectInfo> out;
  std::string token;
  do {
    S3ListPage page = ListObjectsV2(bucket, prefix, delimiter, token, max_keys);
    for (auto& object : page.objects) out.push_back(std::move(object));
    if (common_prefixes != nullptr) {
      for (auto& p : page.common_prefixes) common_prefixes->push_back(std::move(p));
    }
    token = std::move(page.next_continuation_token);
  } while (!token.empty());
  return out;
}

std::string S3Client::CreateMultipartUpload(const S3Url& url) {
  Call call{.operation = "CreateMultipartUpload", .method = "POST", .url = url};
  call.query = {{"uploads", ""}};
  call.check = [](const HttpResponse& response) -> std::string {
    return XmlText(response.body, "UploadId").empty() ? "the answer has no UploadId" : "";
  };
  return XmlText(Send(call).body, "UploadId");
}

std::string S3Client::UploadPart(const S3Url& url, const std::string& upload_id, int part_number,
                                 std::span<const char> body) {
  Call call{.operation = "UploadPart", .method = "PUT", .url = url, .body = body};
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.check = [](const HttpResponse& response) -> std::string {
    return response.Header("etag").empty() ? "the answer has no ETag" : "";
  };
  return std::string(Send(call).Header("etag"));
}

void S3Client::CompleteMultipartUpload(const S3Url& url, const std::string& upload_id,
                                       const std::vector<std::string>& etags) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                        XmlEscape(etags[i]));
  }
  body += "</CompleteMultipartUpload>";
  Call call{.operation = "CompleteMultipartUpload", .method = "POST", .url = url};
  call.query = {{"uploadId", upload_id}};
  call.headers = {{"content-type", "application/xml"}};
  call.body = std::span<const char>(body.data(), body.size());
  call.check = ErrorInBody;
  try {
    Send(call);
  } catch (const Error& error) {
    // A retried completion whose first try did complete finds no upload any more.
    if (error.ContextValue("s3 error") == "NoSuchUpload" && error.ContextValue("attempts") != "1") {
      HeadObject(url);  // throws when the object is not there after all
      return;
    }
    throw;
  }
}

void S3Client::AbortMultipartUpload(const S3Url& url, const std::string& upload_id) {
  Call call{.operation = "AbortMultipartUpload", .method = "DELETE", .url = url};
  call.query = {{"uploadId", upload_id}};
  try {
    Send(call);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::kNotFound) throw;  // already gone: nothing to abort
  }
}

std::vector<S3MultipartUpload> S3Client::ListMultipartUploads(std::string_view bucket,
                                                              std::string_view prefix) {
  std::vector<S3MultipartUpload> out;
  std::string key_marker, upload_marker;
  while (true) {
    Call call{
        .operation = "ListMultipartUploads", .method = "GET", .url = {std::string(bucket), ""}};
    call.shown_url = S3Url{std::string(bucket), std::string(prefix)}.ToString();
    call.query = {{"uploads", ""}, {"prefix", std::string(prefix)}};
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!upload_marker.empty()) call.query.emplace_back("upload-id-marker", upload_marker);
    HttpResponse response = Send(call);
    for (std::string_view upload : XmlElements(response.body, "Upload")) {
      out.push_back({XmlText(upload, "Key"), XmlText(upload, "UploadId")});
    }
    if (XmlText(response.body, "IsTruncated") != "true") return out;
    key_marker = XmlText(response.body, "NextKeyMarker");
    upload_marker = XmlText(response.body, "NextUploadIdMarker");
    if (key_marker.empty() && upload_marker.empty()) return out;
  }
}

void S3Client::CopyObject(const S3Url& from, const S3Url& to) {
  Call call{.operation = "CopyObject", .method = "PUT", .url = to};
  call.headers = {{"x-amz-copy-source", "/" + from.bucket + "/" + UriEncode(from.key, true)}};
  call.check = ErrorInBody;
  try {
    Send(call);
  } catch (Error& error) {
    throw std::move(error.With("source", from.ToString()));
  }
}

void S3Client::DeleteObject(const S3Url& url) {
  try {
    Send({.operation = "DeleteObject", .method = "DELETE", .url = url});
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::kNotFound || error.ContextValue("s3 error") == "NoSuchBucket") {
      throw;
    }
  }
}

void S3Client::CreateBucket(std::string_view bucket) {
  Call call{.operation = "CreateBucket", .method = "PUT", .url = {std::string(bucket), ""}};
  std::string body;
  if (config_.region != "us-east-1" && !config_.path_style) {
    body = "<CreateBucketConfiguration><LocationConstraint>" + XmlEscape(config_.region) +
           "</LocationConstraint></CreateBucketConfiguration>";
    call.body = std::span<const char>(body.data(), body.size());
  }
  Send(call);
}

}  // namespace sluice::fs
