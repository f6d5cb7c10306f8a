#include "sluice/jobs/shuffle/shuffle_job.h"

#include <algorithm>
#include <filesystem>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/shuffle/shuffle_plan.h"
#include "sluice/jobs/shuffle/shuffle_tasks.h"
#include "sluice/jobs/staged_worker.h"
#include "sluice/ops/table_files.h"

namespace sluice::shuffle {

void ResolveShuffleInputs(const std::vector<std::string>& patterns, ShuffleSpec& spec) {
  ResolveShuffleFiles(patterns, spec.inputs, spec.input_bytes);
}

void ResolveShuffleFiles(const std::vector<std::string>& patterns, std::vector<std::string>& paths,
                         std::vector<int64_t>& bytes) {
  for (const std::string& pattern : patterns) {
    for (const fs::FileInfo& file : fs::FileSystemFor(pattern)->Glob(pattern)) {
      if (IsCsvPath(file.path)) {
        throw NotSupported(
            "a job run across hosts reads Parquet inputs; run without --submit for CSV")
            .With("file", file.path);
      }
      paths.push_back(file.path);
      bytes.push_back(file.size);
    }
  }
}

namespace {

// A join's key columns must have one type on both sides: map tasks hash the stored values.
void CheckJoinKeyTypes(const ShuffleSpec& spec) {
  if (spec.right_inputs.empty()) throw InvalidArgument("no input files on the join's right side");
  const auto left = parquet::ParquetFileReader::Open(spec.inputs.front())->ReadSchema();
  const auto right = parquet::ParquetFileReader::Open(spec.right_inputs.front())->ReadSchema();
  const std::vector<std::string>& right_keys =
      spec.right_keys.empty() ? spec.keys : spec.right_keys;
  for (size_t k = 0; k < spec.keys.size() && k < right_keys.size(); ++k) {
    const std::optional<int> l = left->FieldIndex(spec.keys[k]);
    const std::optional<int> r = right->FieldIndex(right_keys[k]);
    if (!l || !r) continue;  // the reduce's join plan names the missing column
    const DataType& a = left->field(*l).type;
    const DataType& b = right->field(*r).type;
    if (!(a == b)) {
      throw InvalidArgument(
          "join key {} is {} on the left and {} is {} on the right; across hosts both must have "
          "one type (rows meet by a hash of the stored values): cast one side, or run without "
          "--submit",
          spec.keys[k], a.ToString(), right_keys[k], b.ToString());
    }
  }
}

}  // namespace

SubmittedShuffle SubmitShuffle(const std::string& ledger_url, const ShuffleSpec& spec) {
  if (spec.inputs.empty()) throw InvalidArgument("no input files");
  if (spec.kind == kJoinJobKind) CheckJoinKeyTypes(spec);
  auto ledger = ledger::OpenLedger(ledger_url);
  const std::string options = jobs::StampJobSpec(spec.kind, spec.ToJson());
  const std::string name = spec.JobName();
  jobs::OpenedJob opened =
      jobs::CreateOrResumeJob(*ledger, name, options, [&](const ledger::JobRecord& existing) {
        if (ShuffleSpec::FromJson(existing.options_json).ToJson() != spec.ToJson()) {
          throw InvalidArgument("job '{}' exists with other options", name);
        }
        return jobs::ExistingJob::kResume;
      });
  ledger->AddPartitions(opened.record.id, FirstStagePartitions(spec, kShuffleAttempts));
  return {name, static_cast<int64_t>(MapPartitions(spec, 1).size()), opened.resumed};
}

JoinedShuffle JoinShuffle(const std::string& ledger_url, const std::string& job_name,
                          jobs::WorkerOptions worker, const RunOptions& run) {
  auto ledger = ledger::OpenLedger(ledger_url, worker.ledger_options);
  const ledger::JobRecord job = jobs::RequireJobOfKind(*ledger, job_name, IsShuffleJobKind,
                                                       "a group-by, distinct, sort or join");
  jobs::CheckJobVersion(job);
  const ShuffleSpec spec = ShuffleSpec::FromJson(job.options_json);
  const std::unique_ptr<jobs::OutputCommitter> committer = jobs::MakeOutputCommitter(spec.work_dir);
  const jobs::StagePlan plan = ShuffleStagePlan(spec, kShuffleAttempts, *committer);
  return {jobs::RunStagedWorker(ledger_url, job.id, plan, *committer, spec.work_dir,
                                std::move(worker), run,
                                [&spec](const jobs::TaskContext& context, const RunOptions& share) {
                                  RunShuffleTask(spec, context, share);
                                }),
          spec};
}

}  // namespace sluice::shuffle
