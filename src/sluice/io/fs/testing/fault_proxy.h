// FaultProxy: an HTTP proxy for tests that stands between a client and a real S3 server on
// loopback and spoils some answers the way a loaded store or network does. Each request is read
// whole, forwarded on a fresh upstream connection ("Connection: close", the headers and body as
// received, so signatures stay valid) and the whole answer read back; then every `every`-th
// request gets the next fault of the cycle instead of a clean answer:
//   kSlowDown        503 SlowDown, without forwarding
//   kInternalError   500 InternalError, without forwarding
//   kResetBeforeAnswer  forwarded, then the client's connection is reset before any byte
//   kTruncatedBody   the answer's head and half its body, then the connection closes
//   kResetMidBody    the answer's head and half its body, then a reset
// Faults after forwarding mean the store did act (a PUT stored, an upload completed) while the
// client saw a failure: retries must be safe for that.
//
// Requests that a Hold predicate picks are not forwarded at all: they wait unanswered until the
// proxy is destroyed, so a test can stop a client in the middle of an operation (kill it while
// it waits for the answer to an UploadPart) and see what the store holds at that moment.
//
// Ownership: owns its listening socket and threads; the destructor stops them.
// Thread safety: counters, Hold and WaitForHeld may be used from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::fs::testing {

class FaultProxy {
 public:
  enum class Fault { kSlowDown, kInternalError, kResetBeforeAnswer, kTruncatedBody, kResetMidBody };

  // upstream: "http://127.0.0.1:PORT". every <= 0: no faults.
  FaultProxy(const std::string& upstream, int every,
             std::vector<Fault> cycle = {Fault::kSlowDown, Fault::kTruncatedBody,
                                         Fault::kInternalError, Fault::kResetMidBody,
                                         Fault::kResetBeforeAnswer});
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // "http://127.0.0.1:PORT".
  std::string endpoint() const;
  int64_t requests() const { return requests_.load(); }
  int64_t faults() const { return faults_.load(); }

  // From now on, requests for which `hold(method, target)` is true ("PUT", "/bucket/key?partNumber=
  // 1&uploadId=...") are held; an empty function holds none.
  void Hold(std::function<bool(const std::string& method, const std::string& target)> hold);
  // Waits until at least n requests are held; false after `timeout`.
  bool WaitForHeld(int64_t n, std::chrono::milliseconds timeout);

 private:
  void Loop();
  void Serve(int fd);

  int upstream_port_ = 0;
  int every_;
  std::vector<Fault> cycle_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> faults_{0};
  std::mutex mu_;
  std::condition_variable held_cv_;                                   // held_ grew, or stop_
  std::function<bool(const std::string&, const std::string&)> hold_;  // guarded by mu_
  int64_t held_ = 0;                                                  // guarded by mu_
  std::thread thread_;                                                // accepts connections
  std::vector<std::thread> connections_;  // touched by thread_ only (joined after it)
};

}  // namespace sluice::fs::testing
