#include "sluice/cli/wait_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_status.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string job;
  double timeout_seconds = 0;
  double interval_seconds = 1;
  LedgerFlags ledger;
};

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

// Sleeps `seconds` in short steps, so that Ctrl-C ends the wait at once.
void Pause(double seconds, const CancellationToken& cancel) {
  const Clock::time_point until =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1e3));
  while (!cancel.cancelled() && Clock::now() < until) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
}

int Wait(const Flags& flags) {
  if (!(flags.interval_seconds >= 0.05)) throw InvalidArgument("--interval must be at least 0.05");
  if (!(flags.timeout_seconds >= 0)) throw InvalidArgument("--timeout must not be negative");
  auto ledger = ledger::OpenLedger(flags.ledger.Url());
  const ledger::JobId id = jobs::RequireJob(*ledger, flags.job).id;
  CancellationToken interrupt = InstallInterruptHandler();
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_seconds * 1e3));
  ProgressLines lines;
  for (;;) {
    ledger::JobRecord job = ledger->GetJob(id);
    lines.Print(jobs::ReadJobStatus(*ledger, job, false));
    if (job.status != ledger::JobStatus::kRunning) {
      fmt::print("{}", jobs::FormatJobSummary(job, job.summary_json));
      return job.status == ledger::JobStatus::kDone ? 0 : 1;
    }
    if (flags.timeout_seconds > 0 && Clock::now() >= deadline) {
      fmt::print(stderr, "sluice: job {} still running after {} s\n", job.name,
                 flags.timeout_seconds);
      return 2;
    }
    Pause(flags.interval_seconds, interrupt);
    if (interrupt.cancelled()) throw Cancelled("stopped waiting for job {}", job.name);
  }
}

}  // namespace

std::function<int()> AddWaitCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "wait",
      "Follow a job in a ledger from anywhere until it finishes, printing its progress as it "
      "changes, then its summary. Exit status: 0 when the job is done, 1 when it failed or was "
      "cancelled, 2 when --timeout passed first.");
  auto flags = std::make_shared<Flags>();
  command->add_option("job", flags->job, "The job's name")->required();
  command
      ->add_option("--timeout", flags->timeout_seconds,
                   "Give up after this many seconds (0: "
                   "never)")
      ->capture_default_str();
  command->add_option("--interval", flags->interval_seconds, "Seconds between looks at the ledger")
      ->capture_default_str();
  flags->ledger.Add(*command);
  return [flags] { return Wait(*flags); };
}

}  // namespace sluice::cli
