#include "sluice/cli/run_command.h"

#include <fmt/format.h>

#include <charconv>
#include <memory>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/worker_flags.h"
#include "sluice/jobs/command_job_spec.h"
#include "sluice/jobs/command_task.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/partition_by.h"
#include "sluice/jobs/partition_feeder.h"

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
  int64_t max_attempts = 3;
  std::string on_failure = "fail";
  std::vector<std::string> limits;
  std::vector<std::string> command;
  LedgerFlags ledger;
  WorkerFlags worker;
};

// "name=N" flags, e.g. es=4.
std::vector<ledger::ResourceLimit> ParseLimits(const std::vector<std::string>& flags) {
  std::vector<ledger::ResourceLimit> out;
  for (const std::string& flag : flags) {
    size_t eq = flag.find('=');
    int64_t limit = 0;
    const char* end = flag.data() + flag.size();
    bool ok = eq != std::string::npos &&
              std::from_chars(flag.data() + eq + 1, end, limit).ptr == end && eq + 1 < flag.size();
    if (!ok) {
      throw InvalidArgument("--limit takes NAME=N (e.g. es=4), not '{}'", flag)
          .With("flag", "--limit");
    }
    out.push_back({flag.substr(0, eq), limit});
  }
  try {
    ledger::CheckResourceLimits(out);
  } catch (Error& error) {
    error.With("flag", "--limit");
    throw;
  }
  return out;
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
  std::unique_ptr<jobs::Partitioner> partitioner = jobs::ParsePartitionBy(flags.partition_by, by);
  jobs::CommandJobSpec spec;
  spec.command = flags.command;
  spec.fields = partitioner->Fields();
  spec.partition_by = flags.partition_by;
  spec.max_attempts = flags.max_attempts;
  spec.stop_on_failure = flags.on_failure == "fail";
  spec.resources = ParseLimits(flags.limits);
  jobs::CommandTemplate command(spec.command, spec.fields);
  if (command.used().contains("output")) {
    spec.output_root = flags.output.empty()
                           ? flags.ledger.StateDir() / "output" / jobs::EncodeKeyForPath(flags.job)
                           : std::filesystem::absolute(flags.output);
  } else if (!flags.output.empty()) {
    throw InvalidArgument("--output is given but the command does not use {{output}}");
  }
  std::string url = flags.ledger.Url();
  CancellationToken interrupt = InstallInterruptHandler();

  auto ledger = ledger::OpenLedger(url);
  auto check = [&](const ledger::JobRecord& existing) {
    auto stored = jobs::CommandJobSpec::FromJson(existing.options_json, flags.job);
    if (!stored.SameWork(spec)) {
      throw InvalidArgument(
          "job {} exists with a different command, partitioning or output; choose another "
          "--job name",
          flags.job);
    }
    if (stored.resources != spec.resources && !flags.limits.empty()) {
      fmt::print(stderr, "sluice: job {} keeps the limits it was created with\n", flags.job);
    }
    spec.resources = stored.resources;  // every worker of the job claims under the same limits
    return jobs::ExistingJob::kResume;
  };
  jobs::OpenedJob opened = jobs::CreateOrResumeJob(*ledger, flags.job, spec.ToJson(), check);
  if (opened.resumed) fmt::print(stderr, "sluice: resuming job {}\n", flags.job);
  ledger::JobRecord job = opened.record;
  worker.output_root = spec.output_root;
  worker.stop_on_failure = spec.stop_on_failure;
  worker.resources = spec.resources;

  // The partitioner streams into the ledger on its own connection while the worker runs.
  CancellationSource stop(interrupt);
  jobs::PartitionFeeder feeder(url, {}, job.id, *partitioner, {.max_attempts = spec.max_attempts},
                               stop);
  jobs::WorkerStats stats;
  try {
    stats = jobs::RunWorker(url, job.id, jobs::MakeCommandTask(command), worker, stop.token());
  } catch (...) {
    stop.Cancel("the worker stopped");
    feeder.Finish();  // a failed listing is the first cause
    throw;
  }
  jobs::FeedResult fed = feeder.Finish();

  job = ledger->GetJob(job.id);
  fmt::print("{}", jobs::FormatJobSummary(job, job.summary_json));
  fmt::print("this process: {} listed ({} new), {} completed, {} failed attempts, {} leases lost\n",
             fed.listed, fed.added, stats.completed, stats.failed_attempts, stats.lost);
  if (job.status == ledger::JobStatus::kDone) return 0;
  if (job.status == ledger::JobStatus::kFailed && !spec.stop_on_failure &&
      ledger->Progress(job.id).complete()) {
    return 0;  // --on-failure continue: finished, with its failures listed above
  }
  return 1;
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
  flags->ledger.Add(*command);
  flags->worker.Add(*command);
  command->add_option("command", flags->command, "The command and its arguments, after --")
      ->required();
  return [flags] { return Run(*flags); };
}

}  // namespace sluice::cli
