#include "sluice/ledger/ledger.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/ledger/ledger_columns_internal.h"
#include "sluice/ledger/ledger_url.h"
#include "sluice/ledger/postgres_ledger.h"
#include "sluice/ledger/sqlite_ledger.h"

namespace sluice::ledger {
namespace {

// Partitions written per transaction by AddPartitions: large enough to amortize the commit, small
// enough that workers see the first partitions of a long stream early.
constexpr size_t kAddChunk = 2000;

void RequireJson(std::string_view text, std::string_view what) {
  if (!nlohmann::json::accept(text)) {
    std::string shown(text.substr(0, 80));
    throw InvalidArgument("{} is not valid JSON", what).With("text", shown);
  }
}

void RequirePositive(Duration duration, std::string_view what) {
  if (duration.count() <= 0) {
    throw InvalidArgument("{} must be positive, got {} ms", what, duration.count());
  }
}

Error ConflictFor(const LeaseRef& lease, std::string_view operation) {
  return Conflict("{} refused: attempt {} no longer owns partition {}", operation, lease.attempt,
                  lease.partition_id)
      .With("partition", std::to_string(lease.partition_id))
      .With("attempt", std::to_string(lease.attempt));
}

// Runs one call with the ledger's name added to any error it throws.
template <typename F>
auto Guarded(std::mutex& mu, const std::string& description, F&& f) {
  std::lock_guard lock(mu);
  try {
    return f();
  } catch (Error& error) {
    error.With("ledger", description);
    throw;
  }
}

}  // namespace

void CheckResourceLimits(std::span<const ResourceLimit> resources) {
  std::set<std::string_view> seen;
  for (const ResourceLimit& r : resources) {
    bool name_ok = !r.name.empty() && std::all_of(r.name.begin(), r.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
             c == ':';
    });
    if (!name_ok) {
      throw InvalidArgument(
          "resource name '{}' must be letters, digits, '_', '-', '.' or ':' and not empty", r.name);
    }
    if (r.limit < 1) {
      throw InvalidArgument("resource limit must be at least 1, got {}", r.limit)
          .With("resource", r.name);
    }
    if (!seen.insert(r.name).second) {
      throw InvalidArgument("resource named twice in one claim").With("resource", r.name);
    }
  }
}

namespace internal {

std::optional<std::string> ResourceTag(std::span<const ResourceLimit> resources) {
  if (resources.empty()) return std::nullopt;
  std::vector<std::string_view> names;
  for (const ResourceLimit& r : resources) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  std::string tag = ",";
  for (std::string_view name : names) tag.append(name).append(",");
  return tag;
}

bool TagHoldsAll(std::string_view tag, std::span<const ResourceLimit> resources) {
  return std::all_of(resources.begin(), resources.end(), [&](const ResourceLimit& r) {
    return tag.find(ResourceNeedle(r.name)) != std::string_view::npos;
  });
}

}  // namespace internal

std::string_view JobStatusName(JobStatus status) {
  switch (status) {
    case JobStatus::kRunning:
      return "running";
    case JobStatus::kDone:
      return "done";
    case JobStatus::kFailed:
      return "failed";
    case JobStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view PartitionStatusName(PartitionStatus status) {
  switch (status) {
    case PartitionStatus::kPending:
      return "pending";
    case PartitionStatus::kRunning:
      return "running";
    case PartitionStatus::kDone:
      return "done";
    case PartitionStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

JobStatus ParseJobStatus(std::string_view text) {
  for (JobStatus s :
       {JobStatus::kRunning, JobStatus::kDone, JobStatus::kFailed, JobStatus::kCancelled}) {
    if (JobStatusName(s) == text) return s;
  }
  throw InvalidArgument("unknown job status '{}'", text);
}

PartitionStatus ParsePartitionStatus(std::string_view text) {
  for (PartitionStatus s : {PartitionStatus::kPending, PartitionStatus::kRunning,
                            PartitionStatus::kDone, PartitionStatus::kFailed}) {
    if (PartitionStatusName(s) == text) return s;
  }
  throw InvalidArgument("unknown partition status '{}'", text);
}

Ledger::Ledger(std::string description) : description_(std::move(description)) {}
Ledger::~Ledger() = default;

void Ledger::RequireJob(JobId job) {
  if (!DoFindJob(job, std::nullopt)) {
    throw NotFound("no job with id {}", job).With("job", std::to_string(job));
  }
}

Timestamp Ledger::Now() {
  return Guarded(mu_, description_, [&] { return DoNow(); });
}

JobRecord Ledger::CreateJob(std::string_view name, std::string_view options_json) {
  if (name.empty()) throw InvalidArgument("a job needs a name");
  if (name.find('\0') != std::string_view::npos) {
    throw InvalidArgument("job name contains a NUL byte");
  }
  RequireJson(options_json, "job options");
  return Guarded(mu_, description_, [&] { return DoCreateJob(name, options_json); });
}

std::optional<JobRecord> Ledger::FindJob(std::string_view name) {
  return Guarded(mu_, description_, [&] { return DoFindJob(std::nullopt, name); });
}

JobRecord Ledger::GetJob(JobId job) {
  return Guarded(mu_, description_, [&] {
    std::optional<JobRecord> record = DoFindJob(job, std::nullopt);
    if (!record) throw NotFound("no job with id {}", job).With("job", std::to_string(job));
    return *std::move(record);
  });
}

std::vector<JobRecord> Ledger::ListJobs() {
  return Guarded(mu_, description_, [&] { return DoListJobs(); });
}

void Ledger::SealJob(JobId job) {
  Guarded(mu_, description_, [&] {
    if (!DoSealJob(job)) throw NotFound("no job with id {}", job).With("job", std::to_string(job));
  });
}

void Ledger::ReopenJob(JobId job) {
  Guarded(mu_, description_, [&] {
    if (!DoReopenJob(job)) {
      throw NotFound("no job with id {}", job).With("job", std::to_string(job));
    }
  });
}

void Ledger::FinishJob(JobId job, JobStatus status, std::string_view summary_json) {
  if (status == JobStatus::kRunning) throw InvalidArgument("a job cannot finish as running");
  RequireJson(summary_json, "job summary");
  Guarded(mu_, description_, [&] {
    if (!DoFinishJob(job, status, summary_json)) {
      throw NotFound("no job with id {}", job).With("job", std::to_string(job));
    }
  });
}

int64_t Ledger::AddPartitions(JobId job, std::span<const PartitionSpec> partitions) {
  for (size_t i = 0; i < partitions.size(); ++i) {
    const PartitionSpec& spec = partitions[i];
    try {
      if (spec.key.empty()) throw InvalidArgument("a partition needs a non-empty key");
      if (spec.max_attempts < 1) {
        throw InvalidArgument("max_attempts must be at least 1, got {}", spec.max_attempts);
      }
      RequireJson(spec.definition_json, "partition definition");
    } catch (Error& error) {
      error.With("partition_key", spec.key).With("index", std::to_string(i));
      throw;
    }
  }
  int64_t added = 0;
  for (size_t begin = 0; begin < partitions.size(); begin += kAddChunk) {
    auto chunk = partitions.subspan(begin, std::min(kAddChunk, partitions.size() - begin));
    added += Guarded(mu_, description_, [&] { return DoAddPartitions(job, chunk); });
  }
  return added;
}

PartitionRecord Ledger::GetPartition(PartitionId partition) {
  return Guarded(mu_, description_, [&] {
    std::optional<PartitionRecord> record = DoGetPartition(partition);
    if (!record) {
      throw NotFound("no partition with id {}", partition)
          .With("partition", std::to_string(partition));
    }
    return *std::move(record);
  });
}

std::vector<PartitionRecord> Ledger::ListPartitions(JobId job, const PartitionQuery& query) {
  if (query.limit < 1) throw InvalidArgument("partition query limit must be at least 1");
  return Guarded(mu_, description_, [&] {
    std::vector<PartitionRecord> out = DoListPartitions(job, query);
    if (out.empty()) RequireJob(job);
    return out;
  });
}

JobProgress Ledger::Progress(JobId job) {
  return Guarded(mu_, description_, [&] {
    std::optional<JobProgress> progress = DoProgress(job);
    if (!progress) throw NotFound("no job with id {}", job).With("job", std::to_string(job));
    return *progress;
  });
}

namespace {

void RequireValidClaim(const ClaimRequest& request) {
  if (request.owner.empty()) throw InvalidArgument("a claim needs an owner name");
  RequirePositive(request.lease, "lease duration");
  if (request.max_partitions < 1) {
    throw InvalidArgument("a claim must ask for at least 1 partition, got {}",
                          request.max_partitions);
  }
  CheckResourceLimits(request.resources);
}

void RequireValidCompletions(std::span<const Completion> completions) {
  for (const Completion& completion : completions) {
    try {
      RequireJson(completion.output_manifest_json, "output manifest");
    } catch (Error& error) {
      error.With("partition", std::to_string(completion.lease.partition_id));
      throw;
    }
  }
}

}  // namespace

std::vector<Lease> Ledger::Claim(JobId job, const ClaimRequest& request) {
  RequireValidClaim(request);
  return Guarded(mu_, description_, [&] {
    std::vector<Lease> leases = DoClaim(job, request);
    if (leases.empty()) RequireJob(job);  // only the rare empty claim pays for this check
    return leases;
  });
}

Timestamp Ledger::Heartbeat(const LeaseRef& lease, Duration lease_duration) {
  std::optional<Timestamp> expiry = HeartbeatMany(std::span(&lease, 1), lease_duration).at(0);
  if (!expiry) throw ConflictFor(lease, "heartbeat").With("ledger", description_);
  return *expiry;
}

std::vector<std::optional<Timestamp>> Ledger::HeartbeatMany(std::span<const LeaseRef> leases,
                                                            Duration lease_duration) {
  RequirePositive(lease_duration, "lease duration");
  if (leases.empty()) return {};
  return Guarded(mu_, description_, [&] { return DoHeartbeat(leases, lease_duration); });
}

void Ledger::Complete(const LeaseRef& lease, std::string_view output_manifest_json) {
  Completion completion{lease, std::string(output_manifest_json)};
  if (CompleteMany(std::span(&completion, 1)).at(0) != TransitionResult::kApplied) {
    throw ConflictFor(lease, "completion").With("ledger", description_);
  }
}

std::vector<TransitionResult> Ledger::CompleteMany(std::span<const Completion> completions) {
  RequireValidCompletions(completions);
  if (completions.empty()) return {};
  return Guarded(mu_, description_, [&] { return DoComplete(completions); });
}

CompleteAndClaimResult Ledger::CompleteAndClaim(std::span<const Completion> completions, JobId job,
                                                const ClaimRequest& request) {
  RequireValidCompletions(completions);
  RequireValidClaim(request);
  return Guarded(mu_, description_, [&] {
    CompleteAndClaimResult result = DoCompleteAndClaim(completions, job, request);
    if (result.claimed.empty()) RequireJob(job);
    return result;
  });
}

CompleteAndClaimResult Ledger::DoCompleteAndClaim(std::span<const Completion> completions,
                                                  JobId job, const ClaimRequest& request) {
  CompleteAndClaimResult result;
  if (!completions.empty()) result.completed = DoComplete(completions);
  result.claimed = DoClaim(job, request);
  return result;
}

PartitionStatus Ledger::Fail(const LeaseRef& lease, std::string_view error, Duration retry_after) {
  if (retry_after.count() < 0) throw InvalidArgument("retry_after must not be negative");
  return Guarded(mu_, description_, [&] {
    std::optional<PartitionStatus> status = DoFail(lease, error, retry_after);
    if (!status) throw ConflictFor(lease, "failure report");
    return *status;
  });
}

void Ledger::FailPermanently(const LeaseRef& lease, std::string_view error) {
  Guarded(mu_, description_, [&] {
    if (!DoFail(lease, error, std::nullopt)) throw ConflictFor(lease, "failure report");
  });
}

void Ledger::Release(const LeaseRef& lease, Duration claimable_after) {
  if (claimable_after.count() < 0) throw InvalidArgument("claimable_after must not be negative");
  Guarded(mu_, description_, [&] {
    if (DoRelease(lease, claimable_after) != TransitionResult::kApplied) {
      throw ConflictFor(lease, "release");
    }
  });
}

int64_t Ledger::RequeueFailed(JobId job) {
  return Guarded(mu_, description_, [&] {
    RequireJob(job);
    return DoRequeueFailed(job);
  });
}

ReopenResult Ledger::ReopenPartition(const LeaseRef& done_by, std::string_view reason) {
  if (reason.empty()) throw InvalidArgument("reopening a partition needs a reason");
  return Guarded(mu_, description_, [&] {
    ReopenResult result = DoReopenPartition(done_by, reason);
    if (result == ReopenResult::kConflict && !DoGetPartition(done_by.partition_id)) {
      throw NotFound("no partition with id {}", done_by.partition_id)
          .With("partition", std::to_string(done_by.partition_id));
    }
    return result;
  });
}

void Ledger::AppendEvent(JobId job, std::optional<PartitionId> partition, std::string_view kind,
                         std::string_view detail_json) {
  if (kind.empty()) throw InvalidArgument("an event needs a kind");
  RequireJson(detail_json, "event detail");
  Guarded(mu_, description_, [&] {
    RequireJob(job);
    DoAppendEvent(job, partition, kind, detail_json);
  });
}

std::vector<EventRecord> Ledger::ReadEvents(JobId job, EventId after, int64_t limit) {
  if (limit < 1) throw InvalidArgument("event limit must be at least 1");
  return Guarded(mu_, description_, [&] {
    std::vector<EventRecord> out = DoReadEvents(job, after, limit);
    if (out.empty()) RequireJob(job);
    return out;
  });
}

std::unique_ptr<Ledger> OpenLedger(std::string_view url, const LedgerOptions& options) {
  LedgerUrl parsed = ParseLedgerUrl(url);
  if (parsed.backend == LedgerUrl::Backend::kPostgres) {
    return OpenPostgresLedger(parsed.postgres_conninfo, options);
  }
  return OpenSqliteLedger(parsed.sqlite_path, options);
}

}  // namespace sluice::ledger
