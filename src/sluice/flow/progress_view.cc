#include "sluice/flow/progress_view.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "sluice/base/bytes.h"
#include "sluice/base/log.h"

namespace sluice {
namespace {

std::string Rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.1f}M", per_second / 1e6);
  if (per_second >= 1e4) return fmt::format("{:.0f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

// Characters on screen: UTF-8 continuation bytes take no column of their own.
int DisplayWidth(std::string_view text) {
  int width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

// SIGWINCH: counted, read by the ticker. Installed while at least one live view exists, and the
// previous handler put back after the last, so a program embedding sluice keeps its own.
std::atomic<uint64_t> g_resizes{0};
std::mutex g_winch_mu;
int g_winch_users = 0;                 // guarded by g_winch_mu
struct sigaction g_previous_winch {};  // guarded by g_winch_mu

void OnWinch(int) { g_resizes.fetch_add(1, std::memory_order_relaxed); }

void WatchResizes() {
  std::lock_guard lock(g_winch_mu);
  if (g_winch_users++ > 0) return;
  struct sigaction action {};
  action.sa_handler = OnWinch;
  action.sa_flags = SA_RESTART;  // a resize must not fail a read with EINTR
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGWINCH, &action, &g_previous_winch);
}

void StopWatchingResizes() {
  std::lock_guard lock(g_winch_mu);
  if (--g_winch_users == 0) ::sigaction(SIGWINCH, &g_previous_winch, nullptr);
}

// The verdict's clauses ("bottleneck: x (busy 97%)", "y starved 80% of the time", ...) packed
// into lines of at most `columns` characters; a clause too long for one line is cut.
std::vector<std::string> WrapVerdict(const std::string& text, int columns) {
  std::vector<std::string> clauses;
  size_t start = 0;
  for (size_t comma; (comma = text.find(", ", start)) != std::string::npos; start = comma + 2) {
    clauses.push_back(text.substr(start, comma - start));
  }
  clauses.push_back(text.substr(start));
  std::vector<std::string> lines;
  std::string line;
  for (const std::string& clause : clauses) {
    std::string candidate = line.empty() ? clause : line + ", " + clause;
    if (line.empty() || columns <= 0 || DisplayWidth(candidate) + 1 <= columns) {
      line = std::move(candidate);
      continue;
    }
    lines.push_back(line + ",");
    line = "    " + clause;  // a hanging indent: not a stage line
  }
  lines.push_back(line);
  for (std::string& l : lines) l = ProgressView::CutToWidth(l, columns);
  return lines;
}

}  // namespace

ProgressView::ProgressView(ProgressMode mode, std::FILE* out) : out_(out) {
  if (mode == ProgressMode::kAuto) {
    mode = ::isatty(::fileno(out)) ? ProgressMode::kLive : ProgressMode::kLines;
  }
  live_ = mode == ProgressMode::kLive;
  lines_ = mode == ProgressMode::kLines;
  if (live_) {
    WatchResizes();
    seen_resizes_ = g_resizes.load(std::memory_order_relaxed);
    SetLogSink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      EraseLocked();
      WriteLocked(std::string(line));
      DrawLocked();
    });
  }
}

ProgressView::~ProgressView() {
  if (!live_) return;
  SetLogSink(nullptr);
  StopWatchingResizes();
}

bool ProgressView::resized() const {
  return live_ && g_resizes.load(std::memory_order_relaxed) != seen_resizes_;
}

std::string ProgressView::CutToWidth(const std::string& text, int columns) {
  if (columns <= 0 || DisplayWidth(text) <= columns) return text;
  std::string out;
  int width = 0;
  for (unsigned char c : text) {
    const bool starts_character = (c & 0xC0) != 0x80;
    if (starts_character && ++width > columns - 1) break;
    out += static_cast<char>(c);
  }
  return out + "~";
}

std::string ProgressView::StageLine(const StageReport& stage) {
  if (stage.seconds.empty()) return fmt::format("{:<12} waiting to start", stage.name);
  const StageSecond& last = stage.seconds.back();
  const StageSecond* before =
      stage.seconds.size() > 1 ? &stage.seconds[stage.seconds.size() - 2] : nullptr;
  const double span = last.end_seconds - (before ? before->end_seconds : 0);
  const double per_second = span > 0 ? 1 / span : 0;
  // What answers "starved or backed up" first, so a narrow terminal cuts the rates, not it.
  return fmt::format(
      "{:<12} busy {:>3}% bp {:>3}% idle {:>3}% wait {:>3}%  {:>3} x{:<3} out {:>6}/s {:>10}/s  "
      "in {:>6}/s  queue {:>6} ({:>9})",
      stage.name, Percent(last.times.busy()), Percent(last.times.backpressured()),
      Percent(last.times.idle()), Percent(last.times.waiting()), stage.io ? "io" : "cpu",
      last.concurrency, Rate(static_cast<double>(last.counters.items_out) * per_second),
      FormatBytes(static_cast<int64_t>(static_cast<double>(last.counters.bytes_out) * per_second)),
      Rate(static_cast<double>(last.counters.items_in) * per_second), last.queue_items,
      FormatBytes(last.queue_bytes));
}

std::vector<std::string> ProgressView::LiveFrame(const RunReport& snapshot, int columns) {
  const int width = columns > 0 ? columns - 1 : 0;
  std::vector<std::string> frame;
  frame.push_back(CutToWidth(
      fmt::format("[{}] {:.1f} s  memory {} of {} (peak {})", snapshot.pipeline,
                  snapshot.wall_seconds, FormatBytes(snapshot.memory_in_use),
                  FormatBytes(snapshot.memory_budget), FormatBytes(snapshot.peak_memory)),
      width));
  for (std::string& line : WrapVerdict(snapshot.verdict.text, width)) {
    frame.push_back(std::move(line));
  }
  for (const StageReport& stage : snapshot.stages) {
    frame.push_back(CutToWidth("  " + StageLine(stage), width));
  }
  return frame;
}

void ProgressView::Update(const RunReport& snapshot) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (live_) {
    seen_resizes_ = g_resizes.load(std::memory_order_relaxed);
    EraseLocked();
    frame_ = LiveFrame(snapshot, ColumnsLocked());
    DrawLocked();
    return;
  }
  std::string text = fmt::format(
      "[{}] {:.1f} s  memory {} of {} (peak {})  {}\n", snapshot.pipeline, snapshot.wall_seconds,
      FormatBytes(snapshot.memory_in_use), FormatBytes(snapshot.memory_budget),
      FormatBytes(snapshot.peak_memory), snapshot.verdict.text);
  for (const StageReport& stage : snapshot.stages) text += "  " + StageLine(stage) + "\n";
  WriteLocked(text);
}

void ProgressView::Finish() {
  std::lock_guard lock(mu_);
  if (live_) EraseLocked();
  frame_.clear();
}

int ProgressView::ColumnsLocked() const {
  struct winsize size {};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  const char* columns = std::getenv("COLUMNS");  // forced live output to a pipe, e.g. in tests
  return columns != nullptr ? std::atoi(columns) : 0;
}

void ProgressView::EraseLocked() {
  if (frame_.empty()) return;
  // Rows the frame takes now: a terminal that narrowed since it was drawn may have rewrapped
  // (reflowed) its lines.
  const int columns = ColumnsLocked();
  int rows = 0;
  for (const std::string& line : frame_) {
    const int width = DisplayWidth(line);
    rows += columns > 0 && width > columns ? (width + columns - 1) / columns : 1;
  }
  // Up to the first row of the frame, then clear to the end of the screen.
  WriteLocked(fmt::format("\x1b[{}F\x1b[J", rows));
}

void ProgressView::DrawLocked() {
  std::string text;
  for (const std::string& line : frame_) text += line + "\x1b[K\n";
  WriteLocked(text);
}

void ProgressView::WriteLocked(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace sluice
