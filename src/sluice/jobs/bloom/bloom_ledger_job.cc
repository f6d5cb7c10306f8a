#include "sluice/jobs/bloom/bloom_ledger_job.h"

#include <algorithm>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/bloom/bloom_stages.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"

namespace sluice {

void ResolveBloomInputs(const std::vector<std::string>& patterns, BloomSpec& spec) {
  for (const std::string& pattern : patterns) {
    for (const fs::FileInfo& file : fs::FileSystemFor(pattern)->Glob(pattern)) {
      spec.inputs.push_back(file.path);
      spec.input_bytes.push_back(file.size);
    }
  }
}

std::string SizeBloomSpec(BloomSpec& spec, BloomSizing sizing, const RunOptions& run) {
  BloomJobOptions options = spec.JobOptions(spec.inputs);
  options.sizing = sizing;
  const BloomSize size = SizeBloomFilter(options, run);
  spec.expected_items = size.expected;
  spec.sizing = size.sizing;
  return size.note;
}

SubmittedBloom SubmitBloom(const std::string& ledger_url, const BloomSpec& spec) {
  if (spec.inputs.empty()) throw InvalidArgument("no input files");
  if (spec.expected_items <= 0) throw InvalidArgument("the filter's size is not fixed");
  auto ledger = ledger::OpenLedger(ledger_url);
  const std::string options = jobs::StampJobSpec(kBloomJobKind, spec.ToJson());
  const std::string name = spec.JobName();
  jobs::OpenedJob opened =
      jobs::CreateOrResumeJob(*ledger, name, options, [&](const ledger::JobRecord& existing) {
        if (BloomSpec::FromJson(existing.options_json).ToJson() != spec.ToJson()) {
          throw InvalidArgument("job '{}' exists with other options", name);
        }
        return jobs::ExistingJob::kResume;
      });
  const std::vector<ledger::PartitionSpec> partials = PartialPartitions(spec, kBloomAttempts);
  ledger->AddPartitions(opened.record.id, partials);
  return {name, static_cast<int64_t>(partials.size()), opened.resumed};
}

namespace {

constexpr ledger::Duration kBarrierPoll = std::chrono::milliseconds(100);

// The run options of one of `slots` tasks: an even share of the budget and threads, no report.
RunOptions TaskShare(const RunOptions& run, int slots) {
  const int threads =
      run.cpu_threads > 0 ? run.cpu_threads : static_cast<int>(std::thread::hardware_concurrency());
  RunOptions share = run;
  share.memory_budget = run.memory_budget / slots;
  share.cpu_threads = std::max(1, threads / slots);
  share.report_path.clear();
  share.progress = ProgressMode::kOff;
  return share;
}

}  // namespace

JoinedBloom JoinBloom(const std::string& ledger_url, const std::string& job_name,
                      jobs::WorkerOptions worker, const RunOptions& run) {
  auto ledger = ledger::OpenLedger(ledger_url, worker.ledger_options);
  const ledger::JobRecord job = jobs::RequireJob(*ledger, job_name);
  const std::string kind = jobs::JobKindOf(job);
  if (kind != kBloomJobKind) {
    throw InvalidArgument("job {} is a {} job, not a bloom job", job_name, kind)
        .With("job", job_name);
  }
  jobs::CheckJobVersion(job);
  JoinedBloom joined;
  joined.spec = BloomSpec::FromJson(job.options_json);
  const BloomSpec& spec = joined.spec;
  const std::unique_ptr<jobs::OutputCommitter> committer = jobs::MakeOutputCommitter(spec.work_dir);
  const jobs::StagePlan plan = BloomStagePlan(kBloomAttempts, *committer);
  worker.output_root = spec.work_dir;
  // The merge appears at once when the last partial is done: workers at the barrier look often.
  worker.max_idle_poll = std::min<ledger::Duration>(worker.max_idle_poll, kBarrierPoll);
  worker.on_idle = [&plan](ledger::Ledger& l, ledger::JobId id) {
    try {
      jobs::AdvanceStages(l, id, plan);
    } catch (const Error&) {
      // Publishing a partial that a worker finishing the job has just removed.
      if (l.GetJob(id).status == ledger::JobStatus::kRunning) throw;
    }
  };
  const RunOptions share = TaskShare(run, std::max(worker.slots, 1));
  joined.stats = jobs::RunWorker(
      ledger_url, job.id,
      [&spec, &share](const jobs::TaskContext& context) { RunBloomTask(spec, context, share); },
      worker, run.cancel);
  joined.status = ledger->GetJob(job.id).status;
  joined.errors = jobs::FailedPartitionErrors(*ledger, job.id);
  if (joined.status == ledger::JobStatus::kDone) jobs::RemoveWorkDirectory(spec.work_dir);
  return joined;
}

}  // namespace sluice
