// ScriptedHttpServer: a loopback HTTP/1.1 server for tests that answers each request with the next
// entry of a script, including faults a real store shows under load: an answer that never comes
// (a stall), a connection reset before any answer, and a body cut short of its Content-Length.
// It records every request (method, target, headers, body) so tests can check what was sent.
// Every answer closes its connection, so each request arrives on a fresh one; connections are
// served concurrently, each on its own thread.
//
// Ownership: the server owns its socket and its thread; the destructor stops both.
// Thread safety: Push and requests() may be called from any thread while the server runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice::fs::testing {

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Faults.
  bool reset = false;                  // close the connection without answering
  int64_t announced_length = -1;       // a Content-Length larger than body: a truncated body
  std::chrono::milliseconds stall{0};  // wait this long before answering
};

struct RecordedRequest {
  std::string method;
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  std::string Header(const std::string& name) const;
};

// Reads one HTTP/1.1 request (head, then a Content-Length body) from a connected socket; false
// when the peer closes or sends nothing for 5 s first.
bool ReadHttpRequest(int fd, RecordedRequest* request);

class ScriptedHttpServer {
 public:
  ScriptedHttpServer();
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  // "http://127.0.0.1:PORT".
  std::string endpoint() const;
  // Appends to the script. With the script empty, requests get 599 "script exhausted".
  void Push(ScriptedResponse response);
  std::vector<RecordedRequest> requests() const;

 private:
  void Loop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ScriptedResponse> script_;    // guarded by mu_
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  bool stop_ = false;                      // guarded by mu_
  std::thread thread_;                     // accepts connections
  std::vector<std::thread> connections_;   // touched by thread_ only (joined after it)
};

}  // namespace sluice::fs::testing
