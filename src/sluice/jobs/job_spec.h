// The envelope of every job's stored options: what kind of job it is (`run`, `compact`,
// `batch`) and which sluice version created it, beside the command's own fields. A job is
// defined in the ledger by these options alone, so `sluice worker` can join any job from any
// host knowing only the ledger and the job's name; the version guards against a worker whose code
// would read the options, plan or write the output differently from the job's other workers.
//
// Jobs created before the envelope existed have neither field: their kind is unknown (only the
// command that made them can resume them) and any version may resume them.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "sluice/ledger/ledger_records.h"

namespace sluice::jobs {

// This build's version, as stored in the jobs it creates.
std::string_view SluiceVersion();

// `options_json` (a JSON object) with "kind" and "sluice_version" set.
std::string StampJobSpec(std::string_view kind, std::string_view options_json);

// The stored kind; empty when the job has none (created before the envelope, or not JSON).
std::string JobKindOf(const ledger::JobRecord& job);

// The kind of a job that another job keeps for its own bookkeeping (a batch's step units):
// `sluice status` does not list it and `sluice worker --any` does not join it.
inline constexpr std::string_view kAuxiliaryJobKind = "auxiliary";
inline bool IsAuxiliaryJob(const ledger::JobRecord& job) {
  return JobKindOf(job) == kAuxiliaryJobKind;
}

// InvalidArgument naming the job and both versions when the job was created by another sluice
// version; nothing for a job without a stored version.
void CheckJobVersion(const ledger::JobRecord& job);

}  // namespace sluice::jobs
