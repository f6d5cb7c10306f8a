#include "sluice/cli/worker_command.h"

#include <fmt/format.h>

#include <memory>

#include "sluice/cli/interrupt.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/worker_flags.h"
#include "sluice/jobs/run/command_job.h"

namespace sluice::cli {
namespace {

struct Flags {
  std::string job;
  LedgerFlags ledger;
  WorkerFlags worker;
};

int Work(const Flags& flags) {
  jobs::WorkerOptions options = flags.worker.ToOptions();
  std::string url = flags.ledger.Url();
  CancellationToken interrupt = InstallInterruptHandler();
  jobs::WorkerStats stats = jobs::JoinCommandJob(url, flags.job, options, interrupt);
  fmt::print("worker: {} completed, {} failed attempts, {} leases lost{}\n", stats.completed,
             stats.failed_attempts, stats.lost, stats.finished_job ? "; finished the job" : "");
  return 0;
}

}  // namespace

std::function<int()> AddWorkerCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "worker", "Join a job created by `sluice run` and process its partitions until it is done.");
  auto flags = std::make_shared<Flags>();
  command->add_option("--job", flags->job, "Job name")->required();
  flags->ledger.Add(*command);
  flags->worker.Add(*command);
  return [flags] { return Work(*flags); };
}

}  // namespace sluice::cli
