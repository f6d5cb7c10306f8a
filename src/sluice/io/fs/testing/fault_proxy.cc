#include "sluice/io/fs/testing/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sluice/base/error.h"
#include "sluice/base/testing/loopback.h"
#include "sluice/io/fs/testing/scripted_http_server.h"

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

void Reset(int fd) {
  linger option{1, 0};  // close with an RST, not an orderly FIN
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
}

// The whole answer of a one-request upstream connection (it closes after answering); "" when
// the upstream cannot be reached.
std::string Forward(int port, const RecordedRequest& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    std::string out = request.method + " " + request.target + " HTTP/1.1\r\n";
    for (const auto& [name, value] : request.headers) {
      if (name != "connection") out += name + ": " + value + "\r\n";
    }
    out += "connection: close\r\n\r\n" + request.body;
    if (SendAll(fd, out)) {
      char buffer[65536];
      while (true) {
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        answer.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return answer;
}

std::string ErrorAnswer(int status, const std::string& reason, const std::string& code) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                     "</Code><Message>injected by the test proxy</Message></Error>";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/xml\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

FaultProxy::FaultProxy(const std::string& upstream, int every, std::vector<Fault> cycle)
    : every_(every), cycle_(std::move(cycle)) {
  upstream_port_ = std::stoi(upstream.substr(upstream.rfind(':') + 1));
  listen_fd_ = sluice::testing::ListenOnLoopback(64, &port_);
  thread_ = std::thread([this] { Loop(); });
}

FaultProxy::~FaultProxy() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  held_cv_.notify_all();
  thread_.join();
  for (std::thread& connection : connections_) connection.join();
  ::close(listen_fd_);
}

void FaultProxy::Hold(std::function<bool(const std::string&, const std::string&)> hold) {
  std::lock_guard lock(mu_);
  hold_ = std::move(hold);
}

bool FaultProxy::WaitForHeld(int64_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return held_cv_.wait_for(lock, timeout, [&] { return held_ >= n; });
}

std::string FaultProxy::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FaultProxy::Loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

void FaultProxy::Serve(int fd) {
  // Keep-alive: a client may send several requests on one connection; each is forwarded alone.
  while (!stop_) {
    RecordedRequest request;
    if (!ReadHttpRequest(fd, &request)) return;
    int64_t number = ++requests_;
    {
      std::unique_lock lock(mu_);
      if (hold_ && hold_(request.method, request.target)) {
        ++held_;
        held_cv_.notify_all();
        held_cv_.wait(lock, [&] { return stop_.load(); });
        return;
      }
    }
    bool spoil = every_ > 0 && !cycle_.empty() && number % every_ == 0;
    Fault fault = spoil ? cycle_[static_cast<size_t>((number / every_ - 1) % cycle_.size())]
                        : Fault::kSlowDown;
    if (spoil) ++faults_;
    if (spoil && fault == Fault::kSlowDown) {
      SendAll(fd, ErrorAnswer(503, "Slow Down", "SlowDown"));
      return;
    }
    if (spoil && fault == Fault::kInternalError) {
      SendAll(fd, ErrorAnswer(500, "Internal Server Error", "InternalError"));
      return;
    }
    std::string answer = Forward(upstream_port_, request);
    if (answer.empty()) return;
    if (!spoil) {
      // The upstream answered with "Connection: close"; so does the proxy.
      SendAll(fd, answer);
      return;
    }
    size_t head_end = answer.find("\r\n\r\n");
    size_t body_start = head_end == std::string::npos ? answer.size() : head_end + 4;
    size_t body = answer.size() - body_start;
    switch (fault) {
      case Fault::kResetBeforeAnswer:
        Reset(fd);
        return;
      case Fault::kTruncatedBody:
        // Half the body (a body-less answer loses its last header line instead).
        SendAll(fd, answer.substr(0, body > 0 ? body_start + body / 2 : answer.size() / 2));
        return;
      case Fault::kResetMidBody:
        SendAll(fd, answer.substr(0, body > 0 ? body_start + body / 2 : answer.size() / 2));
        Reset(fd);
        return;
      default:
        return;
    }
  }
}

}  // namespace sluice::fs::testing
