#include "sluice/cli/job_follow.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/jobs/job_status.h"

namespace sluice::cli {
namespace {

using Clock = std::chrono::steady_clock;

// A progress line when the counts moved, and at least once a minute while they do not.
class ProgressLines {
 public:
  void Print(const jobs::JobStatusReport& s) {
    std::string counts = fmt::format("{}/{}/{}/{}", s.progress.pending, s.progress.running,
                                     s.progress.done, s.progress.failed);
    if (counts == last_ && Clock::now() - printed_ < std::chrono::minutes(1)) return;
    fmt::print("{}\n", s.Line());
    std::fflush(stdout);
    last_ = counts;
    printed_ = Clock::now();
  }

 private:
  std::string last_;
  Clock::time_point printed_{};
};

}  // namespace

std::optional<ledger::JobRecord> FollowJob(ledger::Ledger& ledger, ledger::JobId id,
                                           const FollowOptions& options,
                                           const CancellationToken& cancel,
                                           const std::function<void()>& each_turn) {
  if (!(options.interval_seconds >= 0.05)) {
    throw InvalidArgument("--interval must be at least 0.05");
  }
  if (!(options.timeout_seconds >= 0)) throw InvalidArgument("--timeout must not be negative");
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1e3));
  ProgressLines lines;
  for (;;) {
    ledger::JobRecord job = ledger.GetJob(id);
    lines.Print(jobs::ReadJobStatus(ledger, job, false));
    if (job.status != ledger::JobStatus::kRunning) return job;
    if (options.timeout_seconds > 0 && Clock::now() >= deadline) return std::nullopt;
    if (each_turn) each_turn();
    if (!SleepUnlessCancelled(cancel, std::chrono::milliseconds(
                                          static_cast<int64_t>(options.interval_seconds * 1e3)))) {
      throw Cancelled("stopped following job {}", job.name);
    }
  }
}

}  // namespace sluice::cli
