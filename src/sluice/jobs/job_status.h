// JobStatusReport: a job's progress as `sluice status` shows it: partition counts, retries, the
// rate at which partitions finish and the time left at that rate, and, in detail, the leases held
// per worker and the stored summary of a finished job. As JSON (`--json`) or as one line; and
// with the job's task timeline, as the document the HTML page draws (JobReportJson).
//
// Thread safety: plain values; ReadJobStatus goes through a Ledger, which serializes its calls.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

struct LeaseStatus {
  std::string key;
  int64_t attempt = 0;
  int64_t expires_in_ms = 0;  // on the database clock
};

// One stage of a staged job (job_stages.h): its partitions by status. A stage not planned yet
// has no partitions.
struct StageStatus {
  std::string name;
  int64_t pending = 0, running = 0, done = 0, failed = 0;
  int64_t retries = 0;  // claims beyond the first of its partitions
};

struct JobStatusReport {
  std::string job;
  ledger::JobStatus status = ledger::JobStatus::kRunning;
  ledger::JobProgress progress;
  double rate_per_second = 0;         // partitions finished per second since the job was created
  std::optional<double> eta_seconds;  // a running job's pending and running work at that rate
  bool detail = false;                // the two below were read
  std::map<std::string, std::vector<LeaseStatus>> leases;  // by lease owner
  // Owners of `leases` that are processes of this host that no longer exist (a killed run, or one
  // stopped by an error its ledger could not record): their partitions wait for a resume.
  std::set<std::string> gone_owners;
  std::string summary_json;  // a finished job's (job_summary.h)
  // With detail, for a job whose stored options name its stages ("stages": [...]), in order.
  std::vector<StageStatus> stages;
  // Of a finished job: done partitions whose committed output is gone (lost_output.h), which the
  // job's command runs again, and the first file missing.
  int64_t outputs_missing = 0;
  std::string first_missing;

  // A running job whose partitions are all held by processes that are gone: nothing works on it
  // until its command runs again.
  bool Interrupted() const;

  // {"job", "status", "sealed", "done", "running", "pending", "failed", "total", "retries",
  //  "rate_per_second"[, "eta_seconds"][, "outputs_missing", "first_missing"]}; with detail also
  //  "leases", "gone_workers", "interrupted", "summary" and, for a staged job, "stages".
  nlohmann::json ToJson() const;
  // "NAME  STATUS  done D running R pending P failed F of T, 1.5/s, ETA 20 s", and with missing
  // outputs "; output of N done partitions missing (first FILE): run the job's command again to
  // rerun them".
  std::string Line() const;
};

// The job's status now; with detail, its leases and summary too.
JobStatusReport ReadJobStatus(ledger::Ledger& ledger, const ledger::JobRecord& job, bool detail);

// A ledger job as the HTML page (flow/html_report.h) draws it, across all its workers:
// {"command", "job": ReadJobStatus's detailed JSON, "tasks": TaskTimelineJson}. `sluice status
// --ui` serves it each second; `sluice run --report` writes it.
nlohmann::json JobReportJson(ledger::Ledger& ledger, const ledger::JobRecord& job,
                             std::string_view command);

}  // namespace sluice::jobs
