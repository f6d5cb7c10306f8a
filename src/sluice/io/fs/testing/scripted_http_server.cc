#include "sluice/io/fs/testing/scripted_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sluice/base/error.h"
#include "sluice/base/testing/loopback.h"

namespace sluice::fs::testing {
namespace {

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::string RecordedRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

ScriptedHttpServer::ScriptedHttpServer() {
  listen_fd_ = sluice::testing::ListenOnLoopback(16, &port_);
  thread_ = std::thread([this] { Loop(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (std::thread& connection : connections_) connection.join();
  ::close(listen_fd_);
}

std::string ScriptedHttpServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void ScriptedHttpServer::Push(ScriptedResponse response) {
  std::lock_guard lock(mu_);
  script_.push_back(std::move(response));
}

std::vector<RecordedRequest> ScriptedHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void ScriptedHttpServer::Loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // One thread per connection: a stalled answer does not hold up the next request.
    connections_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

bool ReadHttpRequest(int fd, RecordedRequest* out) {
  // Read the head, then Content-Length bytes of body.
  std::string data;
  char buffer[65536];
  size_t head_end = std::string::npos;
  RecordedRequest request;
  size_t body_length = 0;
  while (true) {
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = data.substr(0, head_end);
        size_t line_end = head.find("\r\n");
        std::string first = head.substr(0, line_end);
        size_t space1 = first.find(' ');
        size_t space2 = first.find(' ', space1 + 1);
        request.method = first.substr(0, space1);
        request.target = first.substr(space1 + 1, space2 - space1 - 1);
        size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
          size_t end = head.find("\r\n", pos);
          if (end == std::string::npos) end = head.size();
          std::string line = head.substr(pos, end - pos);
          size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            request.headers.emplace_back(Lower(line.substr(0, colon)), value);
          }
          pos = end + 2;
        }
        std::string length = request.Header("content-length");
        body_length = length.empty() ? 0 : std::stoull(length);
      }
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + body_length) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<size_t>(n));
  }
  request.body = data.substr(head_end + 4, body_length);
  *out = std::move(request);
  return true;
}

void ScriptedHttpServer::Serve(int fd) {
  RecordedRequest request;
  if (!ReadHttpRequest(fd, &request)) return;

  ScriptedResponse response;
  {
    std::unique_lock lock(mu_);
    requests_.push_back(request);
    if (script_.empty()) {
      response.status = 599;
      response.body = "script exhausted";
    } else {
      response = std::move(script_.front());
      script_.pop_front();
    }
    if (response.stall.count() > 0) {
      cv_.wait_for(lock, response.stall, [&] { return stop_; });
      if (stop_) return;
    }
  }
  if (response.reset) {
    linger option{1, 0};  // an RST, not an orderly close
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
    return;
  }
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    ReasonPhrase(response.status) + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  int64_t length = response.announced_length >= 0 ? response.announced_length
                                                  : static_cast<int64_t>(response.body.size());
  // A HEAD answer announces the object's length (announced_length) and sends no body.
  if (request.method != "HEAD" || response.announced_length >= 0) {
    out += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  out += "\r\n";
  if (request.method != "HEAD") out += response.body;
  SendAll(fd, out);
}

}  // namespace sluice::fs::testing
