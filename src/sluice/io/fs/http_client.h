// HttpClient: one HTTP request at a time per call, over libcurl, with connections kept alive
// between calls (a pool of curl handles). It knows nothing of S3: the S3 client signs requests
// and decides what to retry; this layer only moves bytes and reports exactly what happened,
// including a body cut short (a Content-Length the server did not deliver is a transport error,
// never data).
//
// Ownership: the client owns its curl handles; a response owns its copies of headers and body.
// Thread safety: Perform may be called from any number of threads at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::fs {

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::span<const char> body;  // sent as-is with a Content-Length (PUT, POST)
};

struct HttpResponse {
  long status = 0;  // 0 when no response arrived
  // curl's description when the exchange failed: no connection, a timeout, a reset, a body
  // shorter than its Content-Length. Empty on success. A failed exchange's body is never data.
  std::string transport_error;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;       // the body, unless a 2xx body went into the caller's buffer
  size_t body_bytes = 0;  // bytes written into the caller's buffer
  bool transport_failed() const { return !transport_error.empty(); }
  // The first value of a header (name lowercase), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpTimeouts {
  int64_t connect_ms = 10'000;
  int64_t request_ms = 15 * 60'000;  // the whole exchange
  // A transfer slower than this many bytes per second for stall_seconds is cut (a stall).
  int64_t stall_bytes_per_second = 1;
  int64_t stall_seconds = 30;
};

class HttpClient {
 public:
  explicit HttpClient(HttpTimeouts timeouts = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the request. A 2xx body goes into body_out when it is non-empty (a body larger than
  // body_out fails the exchange); other bodies go into response.body. Transport failures are
  // reported in the response, not thrown.
  HttpResponse Perform(const HttpRequest& request, std::span<char> body_out = {});

 private:
  void* Acquire();
  void Release(void* handle);

  HttpTimeouts timeouts_;
  std::mutex mu_;
  std::vector<void*> idle_;  // guarded by mu_: curl easy handles with live connections
};

}  // namespace sluice::fs
