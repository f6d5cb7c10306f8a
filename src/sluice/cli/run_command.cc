#include "sluice/cli/run_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/worker_flags.h"
#include "sluice/flow/report_file.h"
#include "sluice/jobs/job_status.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/jobs/partition_by.h"
#include "sluice/jobs/run/command_job.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

struct RunFlags {
  std::string job;
  std::string partition_by;
  std::string batch_size;
  std::string range_size = "64MiB";
  int64_t key_step = 1000;
  std::string source;
  std::string output;
  std::string report;  // --report: the job across its workers, as the HTML page or JSON
  int64_t max_attempts = 3;
  std::string on_failure = "fail";
  std::vector<std::string> limits;
  std::vector<std::string> command;
  bool submit = false;
  LedgerFlags ledger;
  WorkerFlags worker;
};

// "name=N" flags, e.g. es=4.
std::vector<ledger::ResourceLimit> ParseLimits(const std::vector<std::string>& flags) {
  std::vector<ledger::ResourceLimit> out;
  for (auto& [name, limit] : ParseLimitFlags(flags, "NAME=N (e.g. es=4)")) {
    out.push_back({std::move(name), limit});
  }
  try {
    ledger::CheckResourceLimits(out);
  } catch (Error& error) {
    error.With("flag", "--limit");
    throw;
  }
  return out;
}

// The job as the ledger holds it now, every worker's attempts with it (jobs::JobReportJson).
void WriteJobReport(const std::string& url, const ledger::JobRecord& job, const std::string& path) {
  auto ledger = ledger::OpenLedger(url);
  WriteReportFile(jobs::JobReportJson(*ledger, job, "run"), path);
}

int Run(const RunFlags& flags) {
  // Everything is validated before the ledger is opened, so bad input writes nothing.
  jobs::WorkerOptions worker = flags.worker.ToOptions();
  if (flags.max_attempts < 1) throw InvalidArgument("--max-attempts must be at least 1");
  jobs::PartitionByOptions by;
  if (!flags.batch_size.empty()) by.batch_bytes = ParseBytes(flags.batch_size);
  by.range_bytes = ParseBytes(flags.range_size);
  by.key_step = flags.key_step;
  by.key_source = flags.source;
  jobs::CommandJobRequest request;
  request.name = flags.job;
  try {
    request.partitioner = jobs::ParsePartitionBy(flags.partition_by, by);
  } catch (Error& e) {
    throw std::move(e).With("flag", "--partition-by");
  }
  request.partition_by = flags.partition_by;
  request.command = flags.command;
  request.output = flags.output;
  request.state_dir = flags.ledger.StateDir();
  request.max_attempts = flags.max_attempts;
  request.stop_on_failure = flags.on_failure == "fail";
  request.resources = ParseLimits(flags.limits);
  jobs::CommandJob job(std::move(request));
  std::string url = flags.ledger.Url();
  CancellationToken interrupt = InstallInterruptHandler();
  auto notice = [](std::string_view line) { fmt::print(stderr, "sluice: {}\n", line); };
  if (flags.submit) {
    jobs::CommandJobResult submitted = job.Submit(url, interrupt, notice);
    fmt::print(
        "submitted job {}: {} partitions listed ({} new); run `sluice worker --job '{}' "
        "--ledger URL` on any host to work on it\n",
        submitted.job.name, submitted.fed.listed, submitted.fed.added, submitted.job.name);
    return 0;
  }
  jobs::CommandJobResult result = job.Run(url, worker, interrupt, notice);
  fmt::print("{}", jobs::FormatJobSummary(result.job, result.job.summary_json));
  fmt::print("this process: {} listed ({} new), {} completed, {} failed attempts, {} leases lost\n",
             result.fed.listed, result.fed.added, result.worker.completed,
             result.worker.failed_attempts, result.worker.lost);
  if (!flags.report.empty()) WriteJobReport(url, result.job, flags.report);
  return result.succeeded ? 0 : 1;
}

}  // namespace

std::function<int()> AddRunCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "run",
      "Run an external command once per partition, with retries, leases and crash recovery. "
      "Re-running the same command resumes the job. Placeholders in the command: {key}, "
      "{partition}, {attempt}, {output} (the attempt's private output directory, committed "
      "atomically on success) and the partitioner's fields ({path}, {size}; {paths} for file "
      "batches; {offset}, {length} for byte ranges; {lo}, {hi} for key ranges).");
  auto flags = std::make_shared<RunFlags>();
  command->add_option("--job", flags->job, "Job name (unique in the ledger)")->required();
  command
      ->add_option("--partition-by", flags->partition_by,
                   "files:GLOB_OR_DIR, ranges:GLOB_OR_DIR, keys:TABLE.COLUMN, list:A,B,C or "
                   "list:@FILE")
      ->required();
  command->add_option("--batch-size", flags->batch_size,
                      "files: batch files into partitions of about this size, e.g. 256MiB");
  command->add_option("--range-size", flags->range_size, "ranges: bytes per range")
      ->capture_default_str();
  command->add_option("--key-step", flags->key_step, "keys: distinct keys per partition")
      ->capture_default_str();
  command->add_option("--source", flags->source,
                      "keys: the database holding the table (sqlite:PATH or postgresql://...)");
  command->add_option("--output", flags->output,
                      "Where committed {output} directories go (default <state>/output/<job>)");
  command->add_option("--report", flags->report,
                      "Write the job's report here once this process is done: its partitions "
                      "over time and every attempt of every worker, a self-contained HTML page "
                      "when the name ends in .html, else JSON");
  command->add_option("--max-attempts", flags->max_attempts, "Attempts per partition")
      ->capture_default_str();
  command
      ->add_option("--on-failure", flags->on_failure,
                   "fail: stop the job when a partition fails for good; continue: finish the "
                   "others and list the failures")
      ->check(CLI::IsMember({"fail", "continue"}))
      ->capture_default_str();
  command
      ->add_option("--limit", flags->limits,
                   "NAME=N: at most N partitions run at once over all workers of the job, e.g. "
                   "es=4 (repeatable; every partition holds one unit of each)")
      ->delimiter(',')
      ->allow_extra_args(false);
  command->add_flag("--submit", flags->submit,
                    "Create the job and list its partitions into the ledger, run none: `sluice "
                    "worker` processes on any hosts then run them");
  flags->ledger.Add(*command);
  flags->worker.Add(*command);
  command->add_option("command", flags->command, "The command and its arguments, after --")
      ->required();
  return [flags] { return Run(*flags); };
}

}  // namespace sluice::cli
