#include "sluice/jobs/run/command_job.h"

#include <fmt/format.h>

#include "sluice/base/error.h"
#include "sluice/jobs/command_task.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/partition_feeder.h"

namespace sluice::jobs {
namespace {

CommandJobSpec MakeSpec(const CommandJobRequest& request) {
  CommandJobSpec spec;
  spec.command = request.command;
  spec.fields = request.partitioner->Fields();
  spec.partition_by = request.partition_by;
  spec.max_attempts = request.max_attempts;
  spec.stop_on_failure = request.stop_on_failure;
  spec.resources = request.resources;
  return spec;
}

// Where committed {output} directories go, when the command writes any.
std::filesystem::path OutputRoot(const CommandJobRequest& request, const CommandTemplate& command) {
  if (command.used().contains("output")) {
    return request.output.empty() ? request.state_dir / "output" / EncodeKeyForPath(request.name)
                                  : std::filesystem::absolute(request.output);
  }
  if (!request.output.empty()) {
    throw InvalidArgument("an output directory is given but the command does not use {{output}}");
  }
  return {};
}

// What every worker of the job runs under, whoever started it.
void ApplySpec(const CommandJobSpec& spec, WorkerOptions& worker) {
  worker.output_root = spec.output_root;
  worker.stop_on_failure = spec.stop_on_failure;
  worker.resources = spec.resources;
}

}  // namespace

CommandJob::CommandJob(CommandJobRequest request)
    : name_(request.name), spec_(MakeSpec(request)), command_(spec_.command, spec_.fields) {
  if (spec_.max_attempts < 1) throw InvalidArgument("max attempts must be at least 1");
  spec_.output_root = OutputRoot(request, command_);
  partitioner_ = std::move(request.partitioner);
}

OpenedJob CommandJob::Open(ledger::Ledger& ledger, const CommandJobNotice& notice) {
  auto say = [&](std::string line) {
    if (notice) notice(line);
  };
  auto check = [&](const ledger::JobRecord& existing) {
    std::string kind = JobKindOf(existing);
    if (!kind.empty() && kind != kCommandJobKind) {
      throw InvalidArgument("job {} exists and is a {} job; choose another job name", name_, kind);
    }
    CommandJobSpec stored = CommandJobSpec::FromJson(existing.options_json, name_);
    if (!stored.SameWork(spec_)) {
      throw InvalidArgument(
          "job {} exists with a different command, partitioning or output; choose another job "
          "name",
          name_);
    }
    if (stored.resources != spec_.resources && !spec_.resources.empty()) {
      say(fmt::format("job {} keeps the limits it was created with", name_));
    }
    spec_.resources = stored.resources;  // every worker of the job claims under the same limits
    return ExistingJob::kResume;
  };
  OpenedJob opened = CreateOrResumeJob(ledger, name_, spec_.ToJson(), check);
  if (opened.resumed) say(fmt::format("resuming job {}", name_));
  return opened;
}

CommandJobResult CommandJob::Submit(const std::string& ledger_url, const CancellationToken& cancel,
                                    const CommandJobNotice& notice) {
  auto ledger = ledger::OpenLedger(ledger_url);
  OpenedJob opened = Open(*ledger, notice);
  CommandJobResult result;
  CancellationSource stop(cancel);
  PartitionFeeder feeder(ledger_url, {}, opened.record.id, *partitioner_,
                         {.max_attempts = spec_.max_attempts}, stop);
  result.fed = feeder.Finish();
  result.job = ledger->GetJob(opened.record.id);
  result.succeeded = true;
  return result;
}

CommandJobResult CommandJob::Run(const std::string& ledger_url, WorkerOptions worker,
                                 const CancellationToken& cancel, const CommandJobNotice& notice) {
  auto ledger = ledger::OpenLedger(ledger_url);
  OpenedJob opened = Open(*ledger, notice);
  ApplySpec(spec_, worker);

  CommandJobResult result;
  CancellationSource stop(cancel);
  PartitionFeeder feeder(ledger_url, {}, opened.record.id, *partitioner_,
                         {.max_attempts = spec_.max_attempts}, stop);
  try {
    result.worker =
        RunWorker(ledger_url, opened.record.id, MakeCommandTask(command_), worker, stop.token());
  } catch (...) {
    stop.Cancel("the worker stopped");
    feeder.Finish();  // a failed listing is the first cause
    throw;
  }
  result.fed = feeder.Finish();

  result.job = ledger->GetJob(opened.record.id);
  result.succeeded = result.job.status == ledger::JobStatus::kDone ||
                     (result.job.status == ledger::JobStatus::kFailed && !spec_.stop_on_failure &&
                      ledger->Progress(result.job.id).complete());
  return result;
}

WorkerStats JoinCommandJob(const std::string& ledger_url, const std::string& name,
                           WorkerOptions worker, const CancellationToken& cancel) {
  auto ledger = ledger::OpenLedger(ledger_url);
  ledger::JobRecord job = RequireJob(*ledger, name);
  CheckJobVersion(job);
  if (std::string kind = JobKindOf(job); !kind.empty() && kind != kCommandJobKind) {
    throw InvalidArgument("job {} is a {} job, not a `sluice run` job", name, kind)
        .With("job", name);
  }
  CommandJobSpec spec = CommandJobSpec::FromJson(job.options_json, name);
  CommandTemplate command(spec.command, spec.fields);
  ApplySpec(spec, worker);
  return RunWorker(ledger_url, job.id, MakeCommandTask(command), worker, cancel);
}

}  // namespace sluice::jobs
