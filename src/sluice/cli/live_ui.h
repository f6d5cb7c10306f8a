// LiveUi: the live page of a running job (--ui). A small HTTP server on its own thread serves
// the HTML report's page (flow/html_report.h) at "/" and the runs so far as JSON at
// "/report.json", which the page fetches again every second. Every pipeline the command runs
// publishes itself (RunOptions::on_report) under its name, so a command of several pipelines (a
// group-by's scan and merge) shows each. `sluice status --ui` publishes a ledger job instead
// (PublishFields: the job's status and task timeline across all its workers) each second. The
// address defaults to 127.0.0.1:8077; anything beyond loopback is served only when the user names
// it (--ui 0.0.0.0:8077), with a warning.
//
// Ownership: JobFlags::ToRunOptions creates one per command and hands it out inside
// RunOptions::on_report; the last copy to go stops the server, after, with --ui-linger, waiting
// for Ctrl-C so the finished run's page stays up.
//
// Thread safety: Publish may be called from any thread; the server reads under the same mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "sluice/base/cancellation.h"
#include "sluice/flow/run_report.h"

namespace sluice::cli {

inline constexpr const char* kDefaultUiAddress = "127.0.0.1:8077";

class LiveUi {
 public:
  // Binds `address` ("host:port"; port 0 picks a free one) at once and starts serving. Throws
  // IoError naming the address when it cannot listen there.
  LiveUi(const std::string& address, bool linger, CancellationToken cancel);
  ~LiveUi();
  LiveUi(const LiveUi&) = delete;
  LiveUi& operator=(const LiveUi&) = delete;

  // The page's address, e.g. "http://127.0.0.1:8077/".
  const std::string& url() const { return url_; }
  // Replaces the pipeline's entry with this report.
  void Publish(const RunReport& report);
  // Sets these top-level fields of the document (an object), e.g. a ledger job's "job" and
  // "tasks" (jobs::JobReportJson).
  void PublishFields(const nlohmann::json& fields);
  // The document /report.json serves now.
  nlohmann::json Document();

 private:
  void Serve();
  void Answer(int connection);

  std::string url_;
  bool linger_;
  CancellationToken cancel_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // written to stop the server thread
  std::mutex mu_;
  nlohmann::json runs_ = nlohmann::json::object();    // guarded by mu_: pipeline name -> report
  nlohmann::json fields_ = nlohmann::json::object();  // guarded by mu_
  bool finished_ = false;                             // guarded by mu_
  std::thread thread_;
};

}  // namespace sluice::cli
