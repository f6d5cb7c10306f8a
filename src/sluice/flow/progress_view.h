// ProgressView: the live view of a running pipeline. On a terminal it redraws one line per stage
// in place (log lines are printed above it); otherwise it prints plain lines, one per stage, each
// time it is updated. Each line shows the last second: items and bytes per second, queue, busy /
// backpressured / idle / waiting shares and concurrency.
//
// Thread safety: Update and Finish are called from one thread (the scheduler's ticker); log lines
// may arrive from any thread and are serialized with drawing by an internal mutex.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"

namespace sluice {

class ProgressView {
 public:
  ProgressView(ProgressMode mode, std::FILE* out = stderr);
  ~ProgressView();
  ProgressView(const ProgressView&) = delete;
  ProgressView& operator=(const ProgressView&) = delete;

  bool enabled() const { return live_ || lines_; }
  void Update(const RunReport& snapshot);
  // Clears the live lines; the caller prints the final summary.
  void Finish();

  // The text of one stage's line (exposed for tests).
  static std::string StageLine(const StageReport& stage);

 private:
  void EraseLocked();
  void DrawLocked();
  void WriteLocked(const std::string& text);

  std::FILE* out_;
  bool live_ = false;
  bool lines_ = false;
  std::mutex mu_;
  std::vector<std::string> frame_;  // guarded by mu_: what is on screen now
};

}  // namespace sluice
