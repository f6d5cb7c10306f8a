#include "batch_fake_warehouse.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "sluice/base/error.h"
#include "sluice/base/testing/loopback.h"

namespace sluice::testing {
namespace {

// Reads one HTTP request and returns its body ("" on a broken connection).
std::string ReadRequestBody(int fd) {
  std::string data;
  char buf[4096];
  size_t header_end = std::string::npos;
  size_t length = 0;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string lower = data.substr(0, header_end);
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        const size_t at = lower.find("content-length:");
        if (at != std::string::npos) length = std::stoul(lower.substr(at + 15));
        header_end += 4;
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + length) {
      return data.substr(header_end, length);
    }
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return "";
    data.append(buf, static_cast<size_t>(n));
  }
}

void SendAll(int fd, const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// "COPY INTO <table> FROM @stage/<file> ..." -> "<table>/<file>"; "FINALIZE <key>" -> key.
std::string Subject(const std::string& statement) {
  auto word = [&](size_t from) { return statement.substr(from, statement.find(' ', from) - from); };
  const size_t at = statement.find("@stage/");
  if (statement.starts_with("COPY INTO ") && at != std::string::npos) {
    return word(10) + "/" + word(at + 7);
  }
  if (statement.starts_with("FINALIZE ")) return word(9);
  return statement;
}

}  // namespace

FakeWarehouse::FakeWarehouse(double fail_rate) : fail_rate_(fail_rate) {
  listen_fd_ = ListenOnLoopback(1024, &port_);
  acceptor_ = std::thread([this] { Accept(); });
}

FakeWarehouse::~FakeWarehouse() {
  stopping_ = true;
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
}

void FakeWarehouse::Accept() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeWarehouse::Serve(int fd) {
  const std::string statement = ReadRequestBody(fd);
  if (statement.empty()) {
    close(fd);
    return;
  }
  const int now = ++in_flight_;
  int peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
  const int status = Execute(statement);
  const char* reason = status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "Error";
  const std::string body = status == 200 ? "loaded\n" : "try again\n";
  --in_flight_;
  SendAll(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  close(fd);
}

int FakeWarehouse::Execute(const std::string& statement) {
  const std::string subject = Subject(statement);
  int delay_ms = 0;
  bool unavailable = false;
  {
    std::lock_guard lock(mu_);
    requested_.push_back(subject);
    std::mt19937_64 rng(seed_++);
    delay_ms = 50 + static_cast<int>(rng() % 151);
    unavailable = static_cast<double>(rng() % 10000) < fail_rate_ * 10000;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  if (unavailable) return 503;
  std::lock_guard lock(mu_);
  if (statement.starts_with("FINALIZE ")) {
    if (fail_finalize_) return 500;
    finalizes_.push_back(subject);
  } else if (statement.starts_with("COPY INTO ")) {
    if (loads_[subject]++ > 0) {
      loads_[subject] = 1;
      ++duplicates_;
    }
  } else {
    return 400;
  }
  return 200;
}

int64_t FakeWarehouse::requests() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(requested_.size());
}

int64_t FakeWarehouse::RequestsSince(int64_t mark, const std::string& subject) const {
  std::lock_guard lock(mu_);
  return std::count(requested_.begin() + mark, requested_.end(), subject);
}

std::map<std::string, int> FakeWarehouse::loads() const {
  std::lock_guard lock(mu_);
  return loads_;
}

int64_t FakeWarehouse::duplicates() const {
  std::lock_guard lock(mu_);
  return duplicates_;
}

std::vector<std::string> FakeWarehouse::finalizes() const {
  std::lock_guard lock(mu_);
  return finalizes_;
}

void PostStatement(int port, const std::string& statement) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw IoErrorFromErrno(errno, "socket", "warehouse");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    close(fd);
    throw IoErrorFromErrno(error, "connect", "warehouse");
  }
  SendAll(fd, "POST /load HTTP/1.1\r\nHost: warehouse\r\nContent-Length: " +
                  std::to_string(statement.size()) + "\r\n\r\n" + statement);
  std::string answer;
  char buf[1024];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  close(fd);
  if (!answer.starts_with("HTTP/1.1 200")) {
    throw InvalidData("the warehouse answered '{}'", answer.substr(0, answer.find('\r')));
  }
}

}  // namespace sluice::testing
