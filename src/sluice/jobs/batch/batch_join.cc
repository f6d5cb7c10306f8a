#include "sluice/jobs/batch/batch_join.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/chunk_partition.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/xxhash64.h"

namespace sluice::batch {
namespace {

using nlohmann::json;

// One word, so launchers and scripts pass it on: the output's last name with characters beyond
// [A-Za-z0-9._-] replaced, and a hash of the whole spec, so other work gets another name.
std::string JobName(const std::string& out, const std::string& options) {
  std::string base = std::string(BaseName(out));
  for (char& c : base) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  return fmt::format("batch-{}-{:016x}", base, XxHash64(options.data(), options.size(), 0));
}

std::vector<ledger::PartitionSpec> ChunkPartitions(const PreparedBatch& prepared,
                                                   int64_t max_attempts) {
  std::vector<ledger::PartitionSpec> specs;
  for (int c : prepared.to_compute) {
    specs.push_back({jobs::StageKey(kChunkStage, c),
                     ChunkPartition{c, prepared.chunks[static_cast<size_t>(c)].key}.ToJson(),
                     max_attempts});
  }
  return specs;
}

}  // namespace

std::string DefaultBatchWorkDir(const std::string& output) {
  return NormalizeLocation(output) + ".sluice-batch";
}

SubmittedBatch SubmitBatch(const std::string& ledger_url, const BatchCommandSpec& spec,
                           const std::vector<BatchInput>& inputs, const std::string& output,
                           const std::string& work_dir, const RunOptions& run) {
  BatchedJob job = spec.MakeJob();
  auto ledger = ledger::OpenLedger(ledger_url);  // unreachable: fail before the split
  SubmittedBatch submitted;
  const PreparedBatch prepared = job.Prepare(inputs, output, work_dir, run, submitted.report);
  const json options = {{"command", spec.ToJson()},
                        {"prepared", prepared.ToJson()},
                        {"stages", {kChunkStage, kPublishStage}}};
  const std::string stored = jobs::StampJobSpec(kBatchJobKind, options.dump());
  submitted.job_name = JobName(prepared.out, stored);
  // The same work still running is taken up; a finished one is not reopened (its publish is
  // done): the next name gets a job of its own.
  jobs::OpenedJob opened = jobs::CreateOrResumeJob(
      *ledger, submitted.job_name, stored, [&](const ledger::JobRecord& existing) {
        return existing.options_json == stored && existing.status == ledger::JobStatus::kRunning
                   ? jobs::ExistingJob::kResume
                   : jobs::ExistingJob::kUseNextName;
      });
  submitted.job_name = opened.record.name;
  submitted.resumed = opened.resumed;
  ledger->AddPartitions(opened.record.id, ChunkPartitions(prepared, spec.max_attempts));
  submitted.chunks_to_compute = static_cast<int64_t>(prepared.to_compute.size());
  return submitted;
}

JoinedBatch JoinBatch(const std::string& ledger_url, const std::string& job_name,
                      const BatchWorkerOptions& worker, const RunOptions& run) {
  auto ledger = ledger::OpenLedger(ledger_url);
  const ledger::JobRecord job = jobs::RequireJobOfKind(
      *ledger, job_name, [](std::string_view kind) { return kind == kBatchJobKind; }, "a batch");
  const json stored = json::parse(job.options_json);
  const BatchCommandSpec spec = BatchCommandSpec::FromJson(stored.at("command"));
  const PreparedBatch prepared = PreparedBatch::FromJson(stored.at("prepared"));
  const BatchedJob batched = spec.MakeJob();
  // This process's own: chunks fetched and computed here, never shared with another worker.
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / fmt::format("sluice-batch-{}-{}", job.id, getpid());
  JoinedBatch result;
  result.output = prepared.out;
  try {
    result.joined = batched.ComputeSubmitted(prepared, ledger_url, job.id, worker, scratch, run);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch, ignored);
    throw;
  }
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  result.status = ledger->GetJob(job.id).status;
  ledger::PartitionQuery failed;
  failed.status = ledger::PartitionStatus::kFailed;
  for (const ledger::PartitionRecord& p : ledger->ListPartitions(job.id, failed)) {
    result.errors.push_back(p.key + ": " + p.error);
  }
  return result;
}

std::vector<std::string> BatchJobPaths(const ledger::JobRecord& job) {
  const json stored = json::parse(job.options_json, nullptr, /*allow_exceptions=*/false);
  if (!stored.is_object() || !stored.contains("prepared")) return {};
  const json& prepared = stored["prepared"];
  return {prepared.value("output", ""), prepared.value("work_dir", "")};
}

}  // namespace sluice::batch
