// CreateOrResumeJob: how every job command finds its ledger job. A job is named after its work, so
// running the same work again (after a crash, Ctrl-C or a failure) finds the job it left and
// resumes it: done partitions stay done, the others are claimed again. A job of the same name
// whose stored options say it is other work is refused, or passed over for the next name.
// Commands that only act on a job that must exist (worker, status, retry) find it with RequireJob.
//
// Thread safety: as the ledger's; the check runs on the calling thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

// What to do with a job of the wanted name that already exists.
enum class ExistingJob {
  kResume,       // the same work: reopen it if needed and carry on
  kUseNextName,  // not resumable, but not an error: try "name #2", "name #3", ...
};

struct OpenedJob {
  ledger::JobRecord record;
  bool resumed = false;  // an existing job was taken up rather than created
};

// Creates the job `name` with `options_json`, or, when it exists, asks `check` about it. `check`
// throws (an InvalidArgument telling the user what to change) to refuse an existing job; a job
// another sluice version created is refused before `check` (CheckJobVersion).
// A resumed job that is no longer running (done, failed) is reopened.
OpenedJob CreateOrResumeJob(ledger::Ledger& ledger, const std::string& name,
                            std::string_view options_json,
                            const std::function<ExistingJob(const ledger::JobRecord&)>& check);

// The existing job of that name; NotFound ("no such job", naming the job and the ledger).
ledger::JobRecord RequireJob(ledger::Ledger& ledger, const std::string& name);
// RequireJob, and InvalidArgument ("job NAME is a KIND job, not WHAT") unless `is_kind` takes
// its stored kind (job_spec.h).
ledger::JobRecord RequireJobOfKind(ledger::Ledger& ledger, const std::string& name,
                                   const std::function<bool(std::string_view)>& is_kind,
                                   std::string_view what);

}  // namespace sluice::jobs
