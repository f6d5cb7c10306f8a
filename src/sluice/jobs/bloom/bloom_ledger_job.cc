#include "sluice/jobs/bloom/bloom_ledger_job.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/bloom/bloom_stages.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/staged_worker.h"

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

JoinedBloom JoinBloom(const std::string& ledger_url, const std::string& job_name,
                      jobs::WorkerOptions worker, const RunOptions& run) {
  auto ledger = ledger::OpenLedger(ledger_url, worker.ledger_options);
  const ledger::JobRecord job = jobs::RequireJobOfKind(
      *ledger, job_name, [](std::string_view kind) { return kind == kBloomJobKind; },
      "a bloom job");
  jobs::CheckJobVersion(job);
  const BloomSpec spec = BloomSpec::FromJson(job.options_json);
  const std::unique_ptr<jobs::OutputCommitter> committer = jobs::MakeOutputCommitter(spec.work_dir);
  const jobs::StagePlan plan = BloomStagePlan(kBloomAttempts, *committer);
  return {jobs::RunStagedWorker(ledger_url, job.id, plan, *committer, spec.work_dir,
                                std::move(worker), run,
                                [&spec](const jobs::TaskContext& context, const RunOptions& share) {
                                  RunBloomTask(spec, context, share);
                                }),
          spec};
}

}  // namespace sluice
