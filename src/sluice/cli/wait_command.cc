#include "sluice/cli/wait_command.h"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_follow.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

struct Flags {
  std::string job;
  FollowOptions follow;
  LedgerFlags ledger;
};

int Wait(const Flags& flags) {
  auto ledger = ledger::OpenLedger(flags.ledger.Url());
  const ledger::JobRecord found = jobs::RequireJob(*ledger, flags.job);
  std::optional<ledger::JobRecord> job =
      FollowJob(*ledger, found.id, flags.follow, InstallInterruptHandler());
  if (!job) {
    fmt::print(stderr, "sluice: job {} still running after {} s\n", found.name,
               flags.follow.timeout_seconds);
    return 2;
  }
  fmt::print("{}", jobs::FormatJobSummary(*job, job->summary_json));
  return job->status == ledger::JobStatus::kDone ? 0 : 1;
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
      ->add_option("--timeout", flags->follow.timeout_seconds,
                   "Give up after this many seconds (0: "
                   "never)")
      ->capture_default_str();
  command
      ->add_option("--interval", flags->follow.interval_seconds,
                   "Seconds between looks at the ledger")
      ->capture_default_str();
  flags->ledger.Add(*command);
  return [flags] { return Wait(*flags); };
}

}  // namespace sluice::cli
