#include "sluice/jobs/job_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/lease_owner.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/task_timeline.h"

namespace sluice::jobs {
namespace {

// The leases of the job's running partitions, by owner.
std::map<std::string, std::vector<LeaseStatus>> ReadLeases(ledger::Ledger& ledger,
                                                           ledger::JobId job) {
  std::map<std::string, std::vector<LeaseStatus>> owners;
  ledger::PartitionQuery query{.status = ledger::PartitionStatus::kRunning};
  while (true) {
    auto page = ledger.ListPartitions(job, query);
    for (const auto& partition : page) {
      owners[partition.lease_owner].push_back(
          {partition.key, partition.attempt,
           partition.lease_expires_at ? (*partition.lease_expires_at - ledger.Now()).count() : 0});
    }
    if (static_cast<int64_t>(page.size()) < query.limit) break;
    query.after_id = page.back().id;
  }
  return owners;
}

int64_t Retries(const ledger::JobProgress& p) {
  return std::max<int64_t>(0, p.claims - p.done - p.failed - p.running);
}

}  // namespace

namespace {

// The stages a job's stored options name, with their partitions counted; none for a job that is
// not staged.
std::vector<StageStatus> ReadStages(ledger::Ledger& ledger, const ledger::JobRecord& job) {
  std::vector<StageStatus> stages;
  for (std::string& name : StoredStageNames(job)) stages.push_back({std::move(name)});
  if (stages.empty()) return {};
  for (const ledger::PartitionRecord& p : AllPartitions(ledger, job.id)) {
    auto it = std::find_if(stages.begin(), stages.end(),
                           [&](const StageStatus& s) { return s.name == StageOfKey(p.key); });
    if (it == stages.end()) continue;
    it->pending += p.status == ledger::PartitionStatus::kPending ? 1 : 0;
    it->running += p.status == ledger::PartitionStatus::kRunning ? 1 : 0;
    it->done += p.status == ledger::PartitionStatus::kDone ? 1 : 0;
    it->failed += p.status == ledger::PartitionStatus::kFailed ? 1 : 0;
    it->retries += std::max<int64_t>(0, p.attempt - 1);
  }
  return stages;
}

}  // namespace

JobStatusReport ReadJobStatus(ledger::Ledger& ledger, const ledger::JobRecord& job, bool detail) {
  JobStatusReport report;
  report.job = job.name;
  report.status = job.status;
  report.progress = ledger.Progress(job.id);
  const ledger::JobProgress& p = report.progress;
  ledger::Timestamp end = job.finished_at ? *job.finished_at : ledger.Now();
  double seconds = std::max(0.001, static_cast<double>((end - job.created_at).count()) / 1000.0);
  report.rate_per_second = static_cast<double>(p.done + p.failed) / seconds;
  if (job.status == ledger::JobStatus::kRunning && report.rate_per_second > 0) {
    report.eta_seconds = static_cast<double>(p.pending + p.running) / report.rate_per_second;
  }
  // A finished job's outputs are no longer being written: a stat per file says whether the
  // command must run again. A running job's are checked before it finishes (worker.h).
  if (job.status != ledger::JobStatus::kRunning) {
    const std::vector<LostOutput> lost = FindLostOutputs(ledger, job);
    report.outputs_missing = std::ssize(lost);
    if (!lost.empty()) report.first_missing = lost.front().missing;
  }
  if (!detail) return report;
  report.detail = true;
  report.leases = ReadLeases(ledger, job.id);
  for (const auto& [owner, leases] : report.leases) {
    std::optional<LeaseOwner> parsed = LeaseOwner::Parse(owner);
    if (parsed && parsed->IsDeadLocalProcess()) report.gone_owners.insert(owner);
  }
  report.summary_json = job.summary_json;
  report.stages = ReadStages(ledger, job);
  return report;
}

nlohmann::json JobReportJson(ledger::Ledger& ledger, const ledger::JobRecord& job,
                             std::string_view command) {
  return {{"command", command},
          {"job", ReadJobStatus(ledger, job, true).ToJson()},
          {"tasks", TaskTimelineJson(ledger, job.id)}};
}

nlohmann::json JobStatusReport::ToJson() const {
  const ledger::JobProgress& p = progress;
  nlohmann::json out = {{"job", job},
                        {"status", ledger::JobStatusName(status)},
                        {"sealed", p.sealed},
                        {"done", p.done},
                        {"running", p.running},
                        {"pending", p.pending},
                        {"failed", p.failed},
                        {"total", p.total()},
                        {"retries", Retries(p)},
                        {"rate_per_second", rate_per_second}};
  if (eta_seconds) out["eta_seconds"] = *eta_seconds;
  if (outputs_missing > 0) {
    out["outputs_missing"] = outputs_missing;
    out["first_missing"] = first_missing;
  }
  if (!detail) return out;
  std::map<std::string, nlohmann::json> owners;
  for (const auto& [owner, leases] : leases) {
    nlohmann::json list = nlohmann::json::array();
    for (const LeaseStatus& l : leases) {
      list.push_back({{"key", l.key}, {"attempt", l.attempt}, {"expires_in_ms", l.expires_in_ms}});
    }
    owners[owner] = std::move(list);
  }
  out["leases"] = owners;
  out["gone_workers"] = gone_owners;
  out["interrupted"] = Interrupted();
  if (!summary_json.empty()) out["summary"] = nlohmann::json::parse(summary_json, nullptr, false);
  if (!stages.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const StageStatus& st : stages) {
      list.push_back({{"stage", st.name},
                      {"pending", st.pending},
                      {"running", st.running},
                      {"done", st.done},
                      {"failed", st.failed},
                      {"retries", st.retries}});
    }
    out["stages"] = std::move(list);
  }
  return out;
}

bool JobStatusReport::Interrupted() const {
  return status == ledger::JobStatus::kRunning && !leases.empty() &&
         gone_owners.size() == leases.size();
}

std::string JobStatusReport::Line() const {
  const ledger::JobProgress& p = progress;
  std::string line = fmt::format(
      "{:<20} {:<9} done {} running {} pending {} failed {} of {}{}, "
      "{:.1f}/s",
      job, ledger::JobStatusName(status), p.done, p.running, p.pending, p.failed, p.total(),
      p.sealed ? "" : "+ (still listing)", rate_per_second);
  if (eta_seconds) line += fmt::format(", ETA {:.0f} s", *eta_seconds);
  if (outputs_missing > 0) {
    line += fmt::format(
        "; output of {} done partition{} missing (first {}): run the job's command again to rerun "
        "{}",
        outputs_missing, outputs_missing == 1 ? "" : "s", first_missing,
        outputs_missing == 1 ? "it" : "them");
  }
  return line;
}

}  // namespace sluice::jobs
