#include "sluice/cli/worker_command.h"

#include <fmt/format.h>

#include <memory>

#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/worker_flags.h"
#include "sluice/jobs/command_job_spec.h"
#include "sluice/jobs/command_task.h"

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
  auto ledger = ledger::OpenLedger(url);
  auto job = ledger->FindJob(flags.job);
  if (!job)
    throw NotFound("no such job").With("job", flags.job).With("ledger", ledger->description());
  auto spec = jobs::CommandJobSpec::FromJson(job->options_json, flags.job);
  jobs::CommandTemplate command(spec.command, spec.fields);
  options.output_root = spec.output_root;
  options.stop_on_failure = spec.stop_on_failure;
  options.resources = spec.resources;
  jobs::WorkerStats stats =
      jobs::RunWorker(url, job->id, jobs::MakeCommandTask(command), options, interrupt);
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
