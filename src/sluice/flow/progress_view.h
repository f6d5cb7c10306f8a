// ProgressView: the live view of a running pipeline. On a terminal it redraws in place, log lines
// printed above it: a header (time, memory against the budget), the verdict on its own lines, and
// one line per stage, every line cut to the terminal's width (TIOCGWINSZ, read again on SIGWINCH)
// so the terminal never wraps one and the redraw always knows how many rows to go back up.
// Otherwise (a pipe, `lines` mode) it prints plain uncut lines each time it is updated. Each stage
// line shows the last second: busy / backpressured / idle / waiting shares, concurrency, items
// and bytes per second, queue.
//
// Thread safety: Update, Finish and resized are called from one thread (the scheduler's ticker);
// log lines may arrive from any thread and are serialized with drawing by an internal mutex. The
// SIGWINCH handler, installed while a live view exists, only bumps an atomic counter.
#pragma once

#include <cstdint>
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
  // The terminal changed size since the last Update: the caller should update now.
  bool resized() const;
  void Update(const RunReport& snapshot);
  // Clears the live lines; the caller prints the final summary.
  void Finish();

  // The text of one stage's line (exposed for tests).
  static std::string StageLine(const StageReport& stage);
  // The live frame for a terminal `columns` wide: every line at most columns - 1 wide (the last
  // column stays empty, so no terminal wraps early); columns <= 0 cuts nothing.
  static std::vector<std::string> LiveFrame(const RunReport& snapshot, int columns);
  // `text` cut to at most `columns` characters (UTF-8 aware), ending in "~" when cut.
  static std::string CutToWidth(const std::string& text, int columns);

 private:
  int ColumnsLocked() const;
  void EraseLocked();
  void DrawLocked();
  void WriteLocked(const std::string& text);

  std::FILE* out_;
  bool live_ = false;
  bool lines_ = false;
  uint64_t seen_resizes_ = 0;  // the SIGWINCH count the last Update drew for
  std::mutex mu_;
  std::vector<std::string> frame_;  // guarded by mu_: what is on screen now
};

}  // namespace sluice
