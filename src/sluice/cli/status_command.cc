#include "sluice/cli/status_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/live_ui.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/job_status.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

struct Flags {
  std::string job;
  bool json = false;
  std::string ui;  // the live page's address; empty without --ui
  LedgerFlags ledger;
};

// --ui: the job across all its workers (jobs::JobReportJson), read from the ledger again each
// second and served live until Ctrl-C. A read slower than the second waits twice its time, so a
// large job's ledger is not read back to back.
int ServeStatus(const Flags& flags, ledger::Ledger& ledger, ledger::JobRecord job) {
  const CancellationToken interrupt = InstallInterruptHandler();
  LiveUi ui(flags.ui, /*linger=*/false, interrupt);
  fmt::print(stderr, "ui: job {} is at {} until Ctrl-C\n", job.name, ui.url());
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    job = ledger.GetJob(job.id);
    ui.PublishFields(jobs::JobReportJson(ledger, job, "status"));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (!SleepUnlessCancelled(interrupt, std::max(std::chrono::milliseconds(1000), 2 * took))) {
      return 0;
    }
  }
}

// The ledger's jobs but those other jobs keep for their own bookkeeping.
std::vector<ledger::JobRecord> ListedJobs(ledger::Ledger& ledger) {
  std::vector<ledger::JobRecord> jobs = ledger.ListJobs();
  std::erase_if(jobs, [](const ledger::JobRecord& job) { return jobs::IsAuxiliaryJob(job); });
  return jobs;
}

// The one job --ui shows: the named one, else the ledger's only job.
ledger::JobRecord JobToServe(ledger::Ledger& ledger, const std::string& name) {
  if (!name.empty()) return jobs::RequireJob(ledger, name);
  std::vector<ledger::JobRecord> all = ListedJobs(ledger);
  if (all.size() == 1) return all.front();
  std::string names;
  for (const auto& job : all) names += (names.empty() ? "" : ", ") + job.name;
  throw InvalidArgument("--ui shows one job: name it (`sluice status JOB --ui`); {} holds {}",
                        ledger.description(), all.empty() ? "no jobs" : names)
      .With("flag", "--ui");
}

int Status(const Flags& flags) {
  auto ledger = ledger::OpenLedger(flags.ledger.Url());
  if (!flags.ui.empty()) return ServeStatus(flags, *ledger, JobToServe(*ledger, flags.job));
  if (flags.job.empty()) {
    std::vector<jobs::JobStatusReport> all;
    for (const auto& job : ListedJobs(*ledger)) {
      all.push_back(jobs::ReadJobStatus(*ledger, job, false));
    }
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
  for (const jobs::StageStatus& st : s.stages) {
    fmt::print("  stage {:<8} {}\n", st.name,
               st.pending + st.running + st.done + st.failed == 0
                   ? std::string("waiting for the stage before it")
                   : fmt::format("done {} running {} pending {} failed {}, {} retries", st.done,
                                 st.running, st.pending, st.failed, st.retries));
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
  AddUiOption(*command, flags->ui,
              "Serve the job live as a web page across all its workers (task timeline, "
              "partitions over time) until Ctrl-C,");
  flags->ledger.Add(*command);
  return [flags] { return Status(*flags); };
}

}  // namespace sluice::cli
