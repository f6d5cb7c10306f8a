#include "sluice/jobs/create_or_resume.h"

#include <fmt/format.h>

#include "sluice/base/error.h"
#include "sluice/jobs/job_spec.h"

namespace sluice::jobs {

OpenedJob CreateOrResumeJob(ledger::Ledger& ledger, const std::string& name,
                            std::string_view options_json,
                            const std::function<ExistingJob(const ledger::JobRecord&)>& check) {
  for (int generation = 1;; ++generation) {
    const std::string candidate = generation == 1 ? name : fmt::format("{} #{}", name, generation);
    std::optional<ledger::JobRecord> existing = ledger.FindJob(candidate);
    // CreateJob returns a job created meanwhile by another process unchanged.
    if (!existing) return {ledger.CreateJob(candidate, options_json), false};
    CheckJobVersion(*existing);
    if (check(*existing) == ExistingJob::kUseNextName) continue;
    if (existing->status != ledger::JobStatus::kRunning) ledger.ReopenJob(existing->id);
    return {ledger.GetJob(existing->id), true};
  }
}

ledger::JobRecord RequireJob(ledger::Ledger& ledger, const std::string& name) {
  std::optional<ledger::JobRecord> job = ledger.FindJob(name);
  if (!job) throw NotFound("no such job").With("job", name).With("ledger", ledger.description());
  return *job;
}

ledger::JobRecord RequireJobOfKind(ledger::Ledger& ledger, const std::string& name,
                                   const std::function<bool(std::string_view)>& is_kind,
                                   std::string_view what) {
  ledger::JobRecord job = RequireJob(ledger, name);
  const std::string kind = JobKindOf(job);
  if (!is_kind(kind)) {
    throw InvalidArgument("job {} is a {} job, not {}", name, kind, what).With("job", name);
  }
  return job;
}

}  // namespace sluice::jobs
