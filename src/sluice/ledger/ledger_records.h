// The records a ledger stores and hands out: jobs, partitions, leases and events, plus the small
// value types that requests are made of. All times are the database's clock, in milliseconds
// since the Unix epoch, so that lease arithmetic does not depend on the clocks of the workers.
// JSON-valued fields (options, definition, manifest, summary, event detail) are kept as the exact
// text the caller gave; the ledger checks that they parse but never rewrites them.
//
// Thread safety: plain values; distinct objects may be used from distinct threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ledger {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;
using JobId = int64_t;
using PartitionId = int64_t;
using EventId = int64_t;

enum class JobStatus { kRunning, kDone, kFailed, kCancelled };
enum class PartitionStatus { kPending, kRunning, kDone, kFailed };

// "running", "done", "failed", "cancelled" / "pending", "running", "done", "failed": the words
// stored in the database and shown to users.
std::string_view JobStatusName(JobStatus status);
std::string_view PartitionStatusName(PartitionStatus status);
// Inverse of the above; InvalidArgument (naming the text) for anything else.
JobStatus ParseJobStatus(std::string_view text);
PartitionStatus ParsePartitionStatus(std::string_view text);

struct JobRecord {
  JobId id = 0;
  std::string name;
  JobStatus status = JobStatus::kRunning;
  // Set once the partitioner has added every partition; until then, a job with no pending or
  // running partition is not complete, because more may still come.
  bool sealed = false;
  Timestamp created_at{};
  std::optional<Timestamp> finished_at;
  std::string options_json;
  std::string summary_json;
};

struct PartitionRecord {
  PartitionId id = 0;
  JobId job_id = 0;
  std::string key;
  std::string definition_json;
  PartitionStatus status = PartitionStatus::kPending;
  // Incremented by every claim and never reused: with the id it is the fencing token that guards
  // every later transition, and it names the attempt's temporary output.
  int64_t attempt = 0;
  // Claims charged against max_attempts. Equal to `attempt` unless leases were released (a
  // release gives its claim back) or failed partitions were requeued (which resets it to zero).
  int64_t attempts_used = 0;
  int64_t max_attempts = 1;
  std::string lease_owner;                    // the last claimer; empty before the first claim
  std::optional<Timestamp> lease_expires_at;  // only while running
  std::optional<Timestamp> heartbeat_at;
  std::optional<Timestamp> not_before;  // retry backoff: not claimable before this time
  Timestamp created_at{};
  std::optional<Timestamp> started_at;   // start of the latest attempt
  std::optional<Timestamp> finished_at;  // done or failed
  std::string error;                     // the latest attempt's error; empty when none
  std::string output_manifest_json;      // set by completion; empty before
};

// What a partitioner hands to AddPartitions.
struct PartitionSpec {
  std::string key;  // unique within the job; re-adding an existing key is a no-op
  std::string definition_json = "{}";
  int64_t max_attempts = 3;
};

// The fencing token of one claim: every transition after the claim names it.
struct LeaseRef {
  PartitionId partition_id = 0;
  int64_t attempt = 0;
  bool operator==(const LeaseRef&) const = default;
};

// A claimed partition: what a worker needs to do the work and to prove later that it still owns
// the partition.
struct Lease {
  PartitionId partition_id = 0;
  int64_t attempt = 0;
  JobId job_id = 0;
  std::string key;
  std::string definition_json;
  Timestamp expires_at{};
  LeaseRef ref() const { return {partition_id, attempt}; }
};

// A named resource (a search cluster, a database) of which the job's running partitions may hold
// at most `limit` units at once, whichever worker runs them.
struct ResourceLimit {
  std::string name;  // letters, digits, '_', '-', '.', ':'
  int64_t limit = 1;
  bool operator==(const ResourceLimit&) const = default;
};

struct ClaimRequest {
  std::string owner;  // worker identity shown in status, e.g. "host:pid:thread"
  Duration lease = std::chrono::seconds(60);
  int64_t max_partitions = 1;  // more than one amortizes a transaction over a batch
  // Every partition this claim hands out holds one unit of each resource while it is running
  // (until it is completed, failed, released or reclaimed); the claim hands out no more than the
  // units the job's running partitions leave free. Empty: no limit.
  std::vector<ResourceLimit> resources;
};

struct Completion {
  LeaseRef lease;
  std::string output_manifest_json = "{}";
};

// The outcome of one transition in a batch. kApplied also covers a repeat of a transition this
// same attempt already made (e.g. a completion retried after a lost connection), so retrying is
// safe; kConflict means another attempt owns the partition or it moved on without this attempt.
enum class TransitionResult { kApplied, kConflict };

// What Ledger::ReopenPartition did. Two processes that notice the same lost output both call it;
// only the first gets kReopened, so only it acts on the loss (e.g. clears what is left of the
// output), and the partition is run again once.
enum class ReopenResult {
  kReopened,         // this call sent the done partition back to pending
  kAlreadyReopened,  // it is pending since that attempt's completion: a repeat, or another caller
  kConflict,         // it is not done by that attempt: completed again since, or claimed again
};

// What Ledger::CompleteAndClaim did: one outcome per completion, in order, and the new leases.
struct CompleteAndClaimResult {
  std::vector<TransitionResult> completed;
  std::vector<Lease> claimed;
};

struct PartitionQuery {
  std::optional<PartitionStatus> status;  // all statuses when empty
  PartitionId after_id = 0;               // paging: only ids greater than this
  int64_t limit = 1000;
};

struct JobProgress {
  int64_t pending = 0;
  int64_t running = 0;
  int64_t done = 0;
  int64_t failed = 0;
  int64_t claims = 0;  // sum of attempts over all partitions; claims - finished = retries so far
  bool sealed = false;
  int64_t total() const { return pending + running + done + failed; }
  // No partition is waiting or being worked on, and no more will be added.
  bool complete() const { return sealed && pending == 0 && running == 0; }
};

struct EventRecord {
  EventId id = 0;
  JobId job_id = 0;
  std::optional<PartitionId> partition_id;
  std::optional<int64_t> attempt;
  std::string kind;         // "job_created", "claimed", "completed", "failed", ...
  std::string detail_json;  // a JSON object
  Timestamp at{};
};

}  // namespace sluice::ledger
