#include "sluice/io/fs/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include "sluice/base/check.h"

namespace sluice::fs {
namespace {

void GlobalInit() {
  static const bool done = [] {
    SLUICE_CHECK_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    return true;
  }();
  (void)done;
}

struct Exchange {
  HttpResponse* response;
  CURL* curl;
  std::span<char> body_out;
  bool overflow = false;
  std::span<const char> upload;
  size_t uploaded = 0;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    exchange->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  exchange->response->headers.emplace_back(std::move(name), std::string(value));
  return line.size();
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(exchange->curl, CURLINFO_RESPONSE_CODE, &status);
  HttpResponse& response = *exchange->response;
  if (status >= 200 && status < 300 && !exchange->body_out.empty()) {
    if (response.body_bytes + n > exchange->body_out.size()) {
      exchange->overflow = true;
      return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
    }
    std::memcpy(exchange->body_out.data() + response.body_bytes, data, n);
    response.body_bytes += n;
  } else {
    response.body.append(data, n);
  }
  return n;
}

size_t OnUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t n = std::min(size * count, exchange->upload.size() - exchange->uploaded);
  std::memcpy(buffer, exchange->upload.data() + exchange->uploaded, n);
  exchange->uploaded += n;
  return n;
}

// A rewind (curl resends the body after an auth challenge or a redirect).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* exchange = static_cast<Exchange*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > exchange->upload.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  exchange->uploaded = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

HttpClient::HttpClient(HttpTimeouts timeouts) : timeouts_(timeouts) { GlobalInit(); }

HttpClient::~HttpClient() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpClient::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  CURL* curl = curl_easy_init();
  SLUICE_CHECK(curl != nullptr);
  return curl;
}

void HttpClient::Release(void* handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(handle);
}

HttpResponse HttpClient::Perform(const HttpRequest& request, std::span<char> body_out) {
  CURL* curl = static_cast<CURL*>(Acquire());
  curl_easy_reset(curl);  // keeps the connection cache
  HttpResponse response;
  Exchange exchange{
      .response = &response, .curl = curl, .body_out = body_out, .upload = request.body};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  // No "Expect: 100-continue" round trip before bodies; S3 answers errors at once anyway.
  headers = curl_slist_append(headers, "Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // keys may hold "/../": send them as signed
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.request_ms));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT,
                   static_cast<long>(timeouts_.stall_bytes_per_second));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(timeouts_.stall_seconds));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // The body is taken as received: no transparent decompression that would change its length.
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnUpload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);

  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (code != CURLE_OK) {
    response.transport_error = exchange.overflow  ? "the response body is larger than requested"
                               : error[0] != '\0' ? std::string(error)
                                                  : std::string(curl_easy_strerror(code));
  }
  curl_slist_free_all(headers);
  if (code == CURLE_OK) {
    Release(curl);
  } else {
    curl_easy_cleanup(curl);  // its connection may be broken: start the next one afresh
  }
  return response;
}

}  // namespace sluice::fs
