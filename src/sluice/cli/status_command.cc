#include "sluice/cli/status_command.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

struct Flags {
  std::string job;
  bool json = false;
  LedgerFlags ledger;
};

nlohmann::json JobStatusJson(ledger::Ledger& ledger, const ledger::JobRecord& job, bool detail) {
  ledger::JobProgress p = ledger.Progress(job.id);
  ledger::Timestamp end = job.finished_at ? *job.finished_at : ledger.Now();
  double seconds = std::max(0.001, static_cast<double>((end - job.created_at).count()) / 1000.0);
  double rate = static_cast<double>(p.done + p.failed) / seconds;
  nlohmann::json out = {{"job", job.name},
                        {"status", ledger::JobStatusName(job.status)},
                        {"sealed", p.sealed},
                        {"done", p.done},
                        {"running", p.running},
                        {"pending", p.pending},
                        {"failed", p.failed},
                        {"total", p.total()},
                        {"retries", std::max<int64_t>(0, p.claims - p.done - p.failed - p.running)},
                        {"rate_per_second", rate}};
  if (job.status == ledger::JobStatus::kRunning && rate > 0) {
    out["eta_seconds"] = static_cast<double>(p.pending + p.running) / rate;
  }
  if (!detail) return out;
  std::map<std::string, nlohmann::json> owners;
  ledger::PartitionQuery query{.status = ledger::PartitionStatus::kRunning};
  while (true) {
    auto page = ledger.ListPartitions(job.id, query);
    for (const auto& partition : page) {
      auto& owner = owners[partition.lease_owner];
      if (owner.is_null()) owner = nlohmann::json::array();
      owner.push_back({{"key", partition.key},
                       {"attempt", partition.attempt},
                       {"expires_in_ms", partition.lease_expires_at
                                             ? (*partition.lease_expires_at - ledger.Now()).count()
                                             : 0}});
    }
    if (static_cast<int64_t>(page.size()) < query.limit) break;
    query.after_id = page.back().id;
  }
  out["leases"] = owners;
  if (!job.summary_json.empty()) {
    out["summary"] = nlohmann::json::parse(job.summary_json, nullptr, false);
  }
  return out;
}

std::string Line(const nlohmann::json& s) {
  std::string line = fmt::format(
      "{:<20} {:<9} done {} running {} pending {} failed {} of {}{}, {:.1f}/s",
      s["job"].get<std::string>(), s["status"].get<std::string>(), s["done"].get<int64_t>(),
      s["running"].get<int64_t>(), s["pending"].get<int64_t>(), s["failed"].get<int64_t>(),
      s["total"].get<int64_t>(), s["sealed"].get<bool>() ? "" : "+ (still listing)",
      s["rate_per_second"].get<double>());
  if (s.contains("eta_seconds"))
    line += fmt::format(", ETA {:.0f} s", s["eta_seconds"].get<double>());
  return line;
}

int Status(const Flags& flags) {
  auto ledger = ledger::OpenLedger(flags.ledger.Url());
  if (flags.job.empty()) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& job : ledger->ListJobs()) all.push_back(JobStatusJson(*ledger, job, false));
    if (flags.json) {
      fmt::print("{}\n", all.dump(2));
    } else {
      if (all.empty()) fmt::print("no jobs in {}\n", ledger->description());
      for (const auto& s : all) fmt::print("{}\n", Line(s));
    }
    return 0;
  }
  auto job = ledger->FindJob(flags.job);
  if (!job)
    throw NotFound("no such job").With("job", flags.job).With("ledger", ledger->description());
  nlohmann::json s = JobStatusJson(*ledger, *job, true);
  if (flags.json) {
    fmt::print("{}\n", s.dump(2));
    return 0;
  }
  fmt::print("{}\n", Line(s));
  for (const auto& [owner, leases] : s["leases"].items()) {
    fmt::print("  worker {}: {} leases", owner, leases.size());
    for (size_t i = 0; i < leases.size() && i < 5; ++i) {
      fmt::print("{} {}#{}", i ? "," : "", leases[i]["key"].get<std::string>(),
                 leases[i]["attempt"].get<int64_t>());
    }
    fmt::print("{}\n", leases.size() > 5 ? ", ..." : "");
  }
  if (job->status != ledger::JobStatus::kRunning) {
    fmt::print("{}", jobs::FormatJobSummary(*job, job->summary_json));
  }
  return 0;
}

}  // namespace

std::function<int()> AddStatusCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("status", "Show the progress of jobs in a ledger.");
  auto flags = std::make_shared<Flags>();
  command->add_option("job", flags->job, "One job to show in detail");
  command->add_flag("--json", flags->json, "Print JSON");
  flags->ledger.Add(*command);
  return [flags] { return Status(*flags); };
}

}  // namespace sluice::cli
