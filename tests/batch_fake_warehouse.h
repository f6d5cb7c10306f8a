// FakeWarehouse: a warehouse's bulk-load endpoint on loopback, for the tests of batched steps.
// It takes one statement per HTTP POST: "COPY INTO <table> FROM @stage/<file>" loads <file> into
// <table> and, like a warehouse's load history, loads a file already in that table no second time
// (the request succeeds and counts as a duplicate); "FINALIZE <key>" records a finalize. Every
// request waits a random 50-200 ms, and a fraction of them (fail_rate) answers 503 without loading.
// It counts requests in flight (from the request read to the answer sent) and their peak.
//
// Thread safety: every method may be called from any thread; one thread accepts, one thread per
// connection answers.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing {

class FakeWarehouse {
 public:
  explicit FakeWarehouse(double fail_rate);
  ~FakeWarehouse();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/load"; }
  int peak_in_flight() const { return peak_.load(); }
  // The peak from now on starts at the requests in flight now.
  void ResetPeak() { peak_ = in_flight_.load(); }
  // How many requests arrived so far: a mark for RequestsSince.
  int64_t requests() const;
  // Requests naming `subject` among those after `mark`: "<table>/<file>" for a COPY INTO, the
  // key for a FINALIZE.
  int64_t RequestsSince(int64_t mark, const std::string& subject) const;
  // "<table>/<file>" loaded (each once) and how many repeats the load history turned away.
  std::map<std::string, int> loads() const;
  int64_t duplicates() const;
  std::vector<std::string> finalizes() const;  // keys, in order
  // While set, FINALIZE answers 500 (a failing finalize step).
  void FailFinalize(bool fail) { fail_finalize_ = fail; }

 private:
  void Accept();
  void Serve(int fd);
  // The answer's status to one statement.
  int Execute(const std::string& statement);

  double fail_rate_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> fail_finalize_{false};
  std::atomic<int> in_flight_{0}, peak_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  // guarded by mu_:
  std::vector<std::thread> connections_;
  std::vector<std::string> requested_;  // the subject of every request, in arrival order
  std::map<std::string, int> loads_;
  int64_t duplicates_ = 0;
  std::vector<std::string> finalizes_;
  uint64_t seed_ = 1;
};

// POSTs `statement` to the warehouse; InvalidData with the status unless it answers 200.
void PostStatement(int port, const std::string& statement);

}  // namespace sluice::testing
