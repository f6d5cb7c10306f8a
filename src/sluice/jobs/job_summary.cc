#include "sluice/jobs/job_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace sluice::jobs {

std::string BuildJobSummary(ledger::Ledger& ledger, ledger::JobId job) {
  ledger::JobRecord record = ledger.GetJob(job);
  ledger::JobProgress progress = ledger.Progress(job);
  int64_t total_ms = 0, max_ms = 0, timed = 0;
  std::optional<ledger::Timestamp> first_start, last_finish;
  nlohmann::json failures = nlohmann::json::array();
  ledger::PartitionQuery query;
  query.limit = 2000;
  while (true) {
    std::vector<ledger::PartitionRecord> page = ledger.ListPartitions(job, query);
    for (const ledger::PartitionRecord& p : page) {
      if (p.started_at && p.finished_at) {
        int64_t ms = (*p.finished_at - *p.started_at).count();
        total_ms += ms;
        max_ms = std::max(max_ms, ms);
        ++timed;
      }
      if (p.started_at && (!first_start || *p.started_at < *first_start))
        first_start = p.started_at;
      if (p.finished_at && (!last_finish || *p.finished_at > *last_finish)) {
        last_finish = p.finished_at;
      }
      if (p.status == ledger::PartitionStatus::kFailed && failures.size() < 100) {
        failures.push_back({{"key", p.key}, {"attempts", p.attempt}, {"error", p.error}});
      }
    }
    if (static_cast<int64_t>(page.size()) < query.limit) break;
    query.after_id = page.back().id;
  }
  int64_t finished = progress.done + progress.failed;
  return nlohmann::json{
      {"partitions", progress.total()},
      {"done", progress.done},
      {"failed", progress.failed},
      {"pending", progress.pending},
      {"running", progress.running},
      {"retries", std::max<int64_t>(0, progress.claims - finished - progress.running)},
      {"wall_ms", ((last_finish ? *last_finish : ledger.Now()) - record.created_at).count()},
      {"duration_ms",
       {{"total", total_ms}, {"max", max_ms}, {"mean", timed ? total_ms / timed : 0}}},
      {"failures", failures}}
      .dump();
}

std::optional<ledger::JobStatus> FinishJobIfComplete(ledger::Ledger& ledger, ledger::JobId job) {
  ledger::JobRecord record = ledger.GetJob(job);
  if (record.status != ledger::JobStatus::kRunning) return std::nullopt;
  ledger::JobProgress progress = ledger.Progress(job);
  if (!progress.complete()) return std::nullopt;
  auto status = progress.failed > 0 ? ledger::JobStatus::kFailed : ledger::JobStatus::kDone;
  ledger.FinishJob(job, status, BuildJobSummary(ledger, job));
  return status;
}

std::string FormatJobSummary(const ledger::JobRecord& job, const std::string& summary_json) {
  auto s = nlohmann::json::parse(summary_json, nullptr, false);
  if (!s.is_object() || !s.contains("done")) return fmt::format("job {}: no summary\n", job.name);
  std::string out = fmt::format(
      "job {}: {}; {} partitions: {} done, {} failed, {} retries; {:.1f} s wall, attempts "
      "mean {} ms, max {} ms\n",
      job.name, ledger::JobStatusName(job.status), s["partitions"].get<int64_t>(),
      s["done"].get<int64_t>(), s["failed"].get<int64_t>(), s["retries"].get<int64_t>(),
      static_cast<double>(s["wall_ms"].get<int64_t>()) / 1000.0,
      s["duration_ms"]["mean"].get<int64_t>(), s["duration_ms"]["max"].get<int64_t>());
  size_t shown = 0;
  for (const auto& f : s["failures"]) {
    if (++shown > 20) {
      out += fmt::format("  ... {} more failed partitions (sluice status {} --json)\n",
                         s["failed"].get<int64_t>() - 20, job.name);
      break;
    }
    out += fmt::format("  failed {} after {} attempts: {}\n", f["key"].get<std::string>(),
                       f["attempts"].get<int64_t>(), f["error"].get<std::string>());
  }
  return out;
}

}  // namespace sluice::jobs
