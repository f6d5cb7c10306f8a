#include "sluice/jobs/job_stages.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/output_commit.h"

namespace sluice::jobs {

std::string_view StageOfKey(std::string_view key) { return key.substr(0, key.find('/')); }

std::string StageKey(std::string_view stage, int64_t number) {
  return fmt::format("{}/{:05d}", stage, number);
}

std::vector<std::string> StoredStageNames(const ledger::JobRecord& job) {
  const nlohmann::json options = nlohmann::json::parse(job.options_json, nullptr, false);
  if (!options.is_object() || !options.contains("stages") || !options["stages"].is_array()) {
    return {};
  }
  std::vector<std::string> names;
  for (const nlohmann::json& name : options["stages"]) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return names;
}

std::vector<ledger::PartitionRecord> AllPartitions(ledger::Ledger& ledger, ledger::JobId job) {
  std::vector<ledger::PartitionRecord> all;
  ledger::PartitionQuery query;
  for (;;) {
    std::vector<ledger::PartitionRecord> page = ledger.ListPartitions(job, query);
    if (page.empty()) return all;
    query.after_id = page.back().id;
    for (ledger::PartitionRecord& p : page) all.push_back(std::move(p));
  }
}

std::vector<std::string> FailedPartitionErrors(ledger::Ledger& ledger, ledger::JobId job) {
  std::vector<std::string> errors;
  ledger::PartitionQuery query;
  query.status = ledger::PartitionStatus::kFailed;
  for (const ledger::PartitionRecord& p : ledger.ListPartitions(job, query)) {
    errors.push_back(p.key + ": " + p.error);
  }
  return errors;
}

int64_t RequeueFailedPartitions(ledger::Ledger& ledger, const ledger::JobRecord& job) {
  const int64_t requeued = ledger.RequeueFailed(job.id);
  if (requeued > 0 && !StoredStageNames(job).empty()) ledger.ReopenJob(job.id);
  return requeued;
}

void PublishStage(const OutputCommitter& committer, const std::vector<ledger::PartitionRecord>& all,
                  std::string_view stage) {
  std::vector<std::string> lost;
  for (const ledger::PartitionRecord& p : all) {
    if (p.status != ledger::PartitionStatus::kDone || StageOfKey(p.key) != stage) continue;
    try {
      committer.Publish({p.id, p.attempt}, p.key, p.output_manifest_json);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound) throw;
      lost.push_back(p.key);
    }
  }
  if (!lost.empty()) {
    throw LostInputError(lost, fmt::format("the committed output of {}", lost.front()));
  }
}

namespace {

// The index in plan.stages of the latest stage among the partitions.
size_t LatestStage(const StagePlan& plan, const std::vector<ledger::PartitionRecord>& all) {
  size_t latest = 0;
  for (const ledger::PartitionRecord& p : all) {
    const std::string_view stage = StageOfKey(p.key);
    auto it = std::find(plan.stages.begin(), plan.stages.end(), stage);
    if (it == plan.stages.end()) {
      throw InvalidArgument("partition {} belongs to no stage of the job ({})", p.key,
                            fmt::join(plan.stages, ", "));
    }
    latest = std::max(latest, static_cast<size_t>(it - plan.stages.begin()));
  }
  return latest;
}

}  // namespace

bool AdvanceStages(ledger::Ledger& ledger, ledger::JobId job, const StagePlan& plan) {
  const ledger::JobProgress progress = ledger.Progress(job);
  if (progress.sealed || progress.pending > 0 || progress.running > 0) return false;
  // Listed after the progress: a partition another worker added meanwhile shows up here.
  const std::vector<ledger::PartitionRecord> all = AllPartitions(ledger, job);
  bool failed = false;
  for (const ledger::PartitionRecord& p : all) {
    if (p.status == ledger::PartitionStatus::kFailed) failed = true;
    if (p.status != ledger::PartitionStatus::kDone &&
        p.status != ledger::PartitionStatus::kFailed) {
      return false;
    }
  }
  for (size_t next = LatestStage(plan, all) + 1; !failed && next < plan.stages.size(); ++next) {
    std::vector<ledger::PartitionSpec> specs = plan.plan(next, all);
    if (specs.empty()) continue;
    if (ledger.AddPartitions(job, specs) == 0) return false;  // another worker was first
    ledger.AppendEvent(
        job, std::nullopt, "stage_started",
        fmt::format(R"({{"stage":"{}","partitions":{}}})", plan.stages[next], specs.size()));
    return true;
  }
  ledger.SealJob(job);
  return true;
}

}  // namespace sluice::jobs
