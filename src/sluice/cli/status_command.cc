#include "sluice/cli/status_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_status.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

struct Flags {
  std::string job;
  bool json = false;
  LedgerFlags ledger;
};

int Status(const Flags& flags) {
  auto ledger = ledger::OpenLedger(flags.ledger.Url());
  if (flags.job.empty()) {
    std::vector<jobs::JobStatusReport> all;
    for (const auto& job : ledger->ListJobs())
      all.push_back(jobs::ReadJobStatus(*ledger, job, false));
    if (flags.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : all) list.push_back(s.ToJson());
      fmt::print("{}\n", list.dump(2));
    } else {
      if (all.empty()) fmt::print("no jobs in {}\n", ledger->description());
      for (const auto& s : all) fmt::print("{}\n", s.Line());
    }
    return 0;
  }
  ledger::JobRecord job = jobs::RequireJob(*ledger, flags.job);
  jobs::JobStatusReport s = jobs::ReadJobStatus(*ledger, job, true);
  if (flags.json) {
    fmt::print("{}\n", s.ToJson().dump(2));
    return 0;
  }
  fmt::print("{}\n", s.Line());
  if (s.Interrupted()) {
    fmt::print(
        "  interrupted: the processes holding its partitions are gone; run its command "
        "again to resume\n");
  }
  for (const auto& [owner, leases] : s.leases) {
    fmt::print("  worker {}{}: {} leases", owner, s.gone_owners.contains(owner) ? " (gone)" : "",
               leases.size());
    for (size_t i = 0; i < leases.size() && i < 5; ++i) {
      fmt::print("{} {}#{}", i ? "," : "", leases[i].key, leases[i].attempt);
    }
    fmt::print("{}\n", leases.size() > 5 ? ", ..." : "");
  }
  if (job.status != ledger::JobStatus::kRunning) {
    fmt::print("{}", jobs::FormatJobSummary(job, job.summary_json));
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
