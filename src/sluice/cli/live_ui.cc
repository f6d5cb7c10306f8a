#include "sluice/cli/live_ui.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/flow/html_report.h"

namespace sluice::cli {
namespace {

// A request must arrive whole within this; the server answers one connection at a time.
constexpr int kRequestTimeoutMs = 2000;

struct HostPort {
  std::string host;
  std::string port;
};

HostPort SplitAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    throw InvalidArgument("--ui '{}': give host:port, e.g. {}", address, kDefaultUiAddress);
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host.empty() ? "127.0.0.1" : host, address.substr(colon + 1)};
}

bool IsLoopback(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  }
  return false;
}

// The host and port the socket is bound to, as a URL.
std::string BoundUrl(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    return fmt::format("http://[{}]:{}/", host, port);
  }
  const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
  ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
  port = ntohs(in->sin_port);
  return fmt::format("http://{}:{}/", host, port);
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the browser went away: nothing to tell anyone
    sent += static_cast<size_t>(n);
  }
}

void Respond(int fd, int status, const char* reason, const char* type, const std::string& body) {
  SendAll(fd, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
                          "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                          status, reason, type, body.size()) +
                  body);
}

}  // namespace

LiveUi::LiveUi(const std::string& address, bool linger, CancellationToken cancel)
    : linger_(linger), cancel_(std::move(cancel)) {
  const HostPort hp = SplitAddress(address);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found); rc != 0) {
    throw InvalidArgument("--ui '{}': {}", address, ::gai_strerror(rc));
  }
  int error = 0;
  bool loopback = true;
  for (addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      listen_fd_ = fd;
      loopback = IsLoopback(a->ai_addr);
    } else {
      error = errno;
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) throw IoErrorFromErrno(error, "listen for --ui", address);
  if (::pipe2(wake_, O_CLOEXEC) != 0) {
    ::close(listen_fd_);
    throw IoErrorFromErrno(errno, "create a pipe for --ui", address);
  }
  url_ = BoundUrl(listen_fd_);
  if (!loopback) {
    SLUICE_LOG_WARN("--ui {}: the live page is reachable from other hosts, without a password",
                    address);
  }
  thread_ = std::thread([this] { Serve(); });
}

LiveUi::~LiveUi() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  if (linger_ && !cancel_.cancelled()) {
    fmt::print(stderr, "ui: the finished run stays at {} until Ctrl-C\n", url_);
    std::mutex mu;
    std::condition_variable cv;
    bool interrupted = false;
    Subscription subscription = cancel_.Subscribe([&] {
      std::lock_guard lock(mu);
      interrupted = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return interrupted; });
  }
  const char stop = 1;
  [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &stop, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void LiveUi::Publish(const RunReport& report) {
  nlohmann::json run = report.ToJson();
  std::lock_guard lock(mu_);
  runs_[report.pipeline] = std::move(run);
}

void LiveUi::PublishFields(const nlohmann::json& fields) {
  std::lock_guard lock(mu_);
  fields_.update(fields);
}

nlohmann::json LiveUi::Document() {
  std::lock_guard lock(mu_);
  nlohmann::json document = fields_;
  document["live"] = {{"finished", finished_}, {"refresh_ms", 1000}};
  document["runs"] = runs_;
  return document;
}

void LiveUi::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      SLUICE_LOG_ERROR("ui: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    const int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    Answer(connection);
    ::close(connection);
  }
}

void LiveUi::Answer(int connection) {
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
    pollfd fd{connection, POLLIN, 0};
    if (::poll(&fd, 1, kRequestTimeoutMs) <= 0) return;
    const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
  }
  // "GET /path HTTP/1.1": the path, without a query.
  const size_t space = request.find(' ');
  const size_t end = request.find_first_of(" ?", space + 1);
  if (request.rfind("GET ", 0) != 0 || space == std::string::npos || end == std::string::npos) {
    Respond(connection, 405, "Method Not Allowed", "text/plain", "only GET\n");
    return;
  }
  const std::string path = request.substr(space + 1, end - space - 1);
  if (path == "/" || path == "/index.html") {
    Respond(connection, 200, "OK", "text/html; charset=utf-8", HtmlReport(Document()));
  } else if (path == "/report.json") {
    Respond(connection, 200, "OK", "application/json", Document().dump());
  } else {
    Respond(connection, 404, "Not Found", "text/plain", "not found: " + path + "\n");
  }
}

}  // namespace sluice::cli
