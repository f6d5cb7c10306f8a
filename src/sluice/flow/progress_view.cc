#include "sluice/flow/progress_view.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

#include "sluice/base/bytes.h"
#include "sluice/base/log.h"

namespace sluice {
namespace {

std::string Rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.1f}M", per_second / 1e6);
  if (per_second >= 1e4) return fmt::format("{:.0f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

}  // namespace

ProgressView::ProgressView(ProgressMode mode, std::FILE* out) : out_(out) {
  if (mode == ProgressMode::kAuto) {
    mode = ::isatty(::fileno(out)) ? ProgressMode::kLive : ProgressMode::kLines;
  }
  live_ = mode == ProgressMode::kLive;
  lines_ = mode == ProgressMode::kLines;
  if (live_) {
    SetLogSink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      EraseLocked();
      WriteLocked(std::string(line));
      DrawLocked();
    });
  }
}

ProgressView::~ProgressView() {
  if (live_) SetLogSink(nullptr);
}

std::string ProgressView::StageLine(const StageReport& stage) {
  if (stage.seconds.empty()) return fmt::format("{:<12} waiting to start", stage.name);
  const StageSecond& last = stage.seconds.back();
  const StageSecond* before =
      stage.seconds.size() > 1 ? &stage.seconds[stage.seconds.size() - 2] : nullptr;
  const double span = last.end_seconds - (before ? before->end_seconds : 0);
  const double per_second = span > 0 ? 1 / span : 0;
  return fmt::format(
      "{:<12} {:>3} x{:<3} in {:>6}/s out {:>6}/s {:>10}/s  queue {:>6} ({:>9})  busy {:>3}% "
      "bp {:>3}% idle {:>3}% wait {:>3}%",
      stage.name, stage.io ? "io" : "cpu", last.concurrency,
      Rate(static_cast<double>(last.counters.items_in) * per_second),
      Rate(static_cast<double>(last.counters.items_out) * per_second),
      FormatBytes(static_cast<int64_t>(static_cast<double>(last.counters.bytes_out) * per_second)),
      last.queue_items, FormatBytes(last.queue_bytes), Percent(last.times.busy()),
      Percent(last.times.backpressured()), Percent(last.times.idle()),
      Percent(last.times.waiting()));
}

void ProgressView::Update(const RunReport& snapshot) {
  if (!enabled()) return;
  std::vector<std::string> frame;
  frame.push_back(fmt::format("[{}] {:.1f} s  memory {} of {} (peak {})  {}", snapshot.pipeline,
                              snapshot.wall_seconds, FormatBytes(snapshot.memory_in_use),
                              FormatBytes(snapshot.memory_budget),
                              FormatBytes(snapshot.peak_memory), snapshot.verdict.text));
  for (const StageReport& stage : snapshot.stages) frame.push_back("  " + StageLine(stage));
  std::lock_guard lock(mu_);
  if (live_) {
    EraseLocked();
    frame_ = std::move(frame);
    DrawLocked();
  } else {
    for (const std::string& line : frame) WriteLocked(line + "\n");
  }
}

void ProgressView::Finish() {
  std::lock_guard lock(mu_);
  if (live_) EraseLocked();
  frame_.clear();
}

void ProgressView::EraseLocked() {
  if (frame_.empty()) return;
  // Up to the first line of the frame, then clear to the end of the screen.
  WriteLocked(fmt::format("\x1b[{}F\x1b[J", frame_.size()));
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
