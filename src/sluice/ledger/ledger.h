// Ledger: the durable store of jobs, their partitions and an append-only event log. It is the one
// source of truth that lets partitioned jobs survive crashed and hung workers: a partition is
// claimed with a lease that expires on the database clock, every claim increments the partition's
// attempt, and every later transition (heartbeat, complete, fail, release) names the (partition id,
// attempt) it was claimed with. A worker whose lease was taken over gets a Conflict error and must
// stop working on that partition; it can never complete it.
//
// Two implementations pass one conformance suite: SQLite (embedded default, see sqlite_ledger.h)
// and PostgreSQL (shared by many machines, see postgres_ledger.h). OpenLedger picks one by URL.
// Each call is its own short transaction; no transaction is ever held while a worker works.
// Each job and partition transition also appends an event in the same transaction.
//
// Errors: InvalidArgument for bad requests (checked before anything is written), NotFound for
// unknown jobs and partitions, Conflict for stale leases, Io for the database failing or being
// unreachable (the call may be retried: every operation is safe to repeat, see TransitionResult).
//
// Thread safety: every method may be called from any thread; calls on one Ledger object are
// serialized (it owns one connection). Open one Ledger per worker thread or process for parallel
// claims. The object must not be shared across fork().
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ledger/ledger_records.h"

namespace sluice::ledger {

struct LedgerOptions {
  // SQLite: how long a writer waits for another process's write transaction.
  Duration busy_timeout = std::chrono::seconds(30);
  // PostgreSQL: how long a call keeps trying to reconnect after the connection was lost.
  Duration reconnect_timeout = std::chrono::seconds(30);
  // SQLite: fsync every commit (synchronous=FULL). The default (NORMAL, in WAL mode) survives
  // process crashes but may lose the last commits on power loss.
  bool sync_every_commit = false;
};

class Ledger {
 public:
  virtual ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // "sqlite:/abs/path/ledger.db" or the PostgreSQL URL without its password.
  const std::string& description() const { return description_; }

  // The database clock.
  Timestamp Now();

  // --- jobs ---
  // Creates the job, or returns the existing job of that name unchanged (its options are kept).
  JobRecord CreateJob(std::string_view name, std::string_view options_json = "{}");
  std::optional<JobRecord> FindJob(std::string_view name);
  JobRecord GetJob(JobId job);  // NotFound when absent
  std::vector<JobRecord> ListJobs();
  // Marks that every partition has been added; the job can complete from now on.
  void SealJob(JobId job);
  // Back to running and unsealed (resuming a job, or adding partitions to a finished one).
  void ReopenJob(JobId job);
  void FinishJob(JobId job, JobStatus status, std::string_view summary_json);

  // --- partitions ---
  // Adds partitions whose key the job does not have yet; returns how many were new. Large spans
  // are written in chunks of one transaction each; a failed call may simply be repeated.
  int64_t AddPartitions(JobId job, std::span<const PartitionSpec> partitions);
  PartitionRecord GetPartition(PartitionId partition);  // NotFound when absent
  std::vector<PartitionRecord> ListPartitions(JobId job, const PartitionQuery& query = {});
  JobProgress Progress(JobId job);

  // Claims up to request.max_partitions partitions in one transaction: pending ones whose backoff
  // has passed, and running ones whose lease expired (their worker is presumed dead). Each claim
  // increments attempt and attempts_used. A running partition whose lease expired with its
  // attempts used up becomes failed instead. Returns an empty vector when nothing is claimable.
  // With request.resources, hands out no more partitions than the job's running partitions leave
  // units of every resource free (counted in the claim's transaction, so the limit holds across
  // processes and machines); reclaiming an expired lease that already holds the units is free.
  std::vector<Lease> Claim(JobId job, const ClaimRequest& request);

  // Extends the lease to now + lease; returns the new expiry. Conflict when the attempt no longer
  // owns a running partition. A lease that expired but was not reclaimed may still be extended.
  Timestamp Heartbeat(const LeaseRef& lease, Duration lease_duration);
  // Per lease: the new expiry, or nullopt where Heartbeat would have thrown Conflict.
  std::vector<std::optional<Timestamp>> HeartbeatMany(std::span<const LeaseRef> leases,
                                                      Duration lease_duration);

  // Marks the partition done with its output manifest, in one transaction. Conflict when stale.
  void Complete(const LeaseRef& lease, std::string_view output_manifest_json);
  std::vector<TransitionResult> CompleteMany(std::span<const Completion> completions);
  // CompleteMany, then Claim, in one round: one transaction on PostgreSQL (one commit to make
  // durable instead of two); two on SQLite, whose commits are cheap. Errors as for the two calls.
  CompleteAndClaimResult CompleteAndClaim(std::span<const Completion> completions, JobId job,
                                          const ClaimRequest& request);

  // Records a failed attempt. With attempts left the partition becomes pending again, claimable
  // from now + retry_after; otherwise it becomes failed with this error. Returns the new status.
  // Conflict when stale.
  PartitionStatus Fail(const LeaseRef& lease, std::string_view error, Duration retry_after);
  // Records a failed attempt that no retry can cure (the partition's own input cannot be read):
  // the partition becomes failed at once, whatever attempts it has left, so that no other worker
  // or resume spends attempts on it; RequeueFailed brings it back once the cause is fixed.
  // Conflict when stale; a repeat by the same attempt changes nothing.
  void FailPermanently(const LeaseRef& lease, std::string_view error);

  // Gives the partition back (e.g. the worker is shutting down): pending, and this claim is not
  // charged against max_attempts. Claimable at once, or from now + claimable_after (a task that
  // found its input not there yet waits for it without spinning and without using attempts).
  // Conflict when stale; InvalidArgument for a negative claimable_after.
  void Release(const LeaseRef& lease, Duration claimable_after = Duration(0));

  // Failed partitions of the job become pending with their attempts_used reset; the job is
  // reopened when any was requeued. Returns how many were requeued.
  int64_t RequeueFailed(JobId job);

  // Sends a done partition back to pending because its committed output is gone (removed after
  // it was done): `done_by` is the attempt that completed it (a done record's id and attempt),
  // `reason` (not empty) says what is missing and stays the partition's error until it completes
  // again. Its manifest is cleared, its attempts_used reset, and its job, if finished, running
  // again (still sealed: no partition is added). NotFound for an unknown partition.
  ReopenResult ReopenPartition(const LeaseRef& done_by, std::string_view reason);

  // --- event log ---
  void AppendEvent(JobId job, std::optional<PartitionId> partition, std::string_view kind,
                   std::string_view detail_json = "{}");
  // Events of the job with id > after, oldest first.
  std::vector<EventRecord> ReadEvents(JobId job, EventId after = 0, int64_t limit = 1000);

 protected:
  explicit Ledger(std::string description);

  // The backends. Called with mu_ held and with arguments already validated.
  virtual Timestamp DoNow() = 0;
  virtual JobRecord DoCreateJob(std::string_view name, std::string_view options_json) = 0;
  virtual std::optional<JobRecord> DoFindJob(std::optional<JobId> id,
                                             std::optional<std::string_view> name) = 0;
  virtual std::vector<JobRecord> DoListJobs() = 0;
  // Returns false when the job does not exist.
  virtual bool DoSealJob(JobId job) = 0;
  virtual bool DoReopenJob(JobId job) = 0;
  virtual bool DoFinishJob(JobId job, JobStatus status, std::string_view summary_json) = 0;
  // One chunk, one transaction; NotFound when the job does not exist.
  virtual int64_t DoAddPartitions(JobId job, std::span<const PartitionSpec> partitions) = 0;
  virtual std::optional<PartitionRecord> DoGetPartition(PartitionId partition) = 0;
  virtual std::vector<PartitionRecord> DoListPartitions(JobId job, const PartitionQuery& query) = 0;
  // nullopt when the job does not exist.
  virtual std::optional<JobProgress> DoProgress(JobId job) = 0;
  // An empty result must be told apart from an unknown job by the caller (see Claim).
  virtual std::vector<Lease> DoClaim(JobId job, const ClaimRequest& request) = 0;
  virtual std::vector<std::optional<Timestamp>> DoHeartbeat(std::span<const LeaseRef> leases,
                                                            Duration lease_duration) = 0;
  virtual std::vector<TransitionResult> DoComplete(std::span<const Completion> completions) = 0;
  // By default DoComplete (when there are completions) and then DoClaim.
  virtual CompleteAndClaimResult DoCompleteAndClaim(std::span<const Completion> completions,
                                                    JobId job, const ClaimRequest& request);
  // nullopt on conflict. Without retry_after the partition fails for good (FailPermanently).
  virtual std::optional<PartitionStatus> DoFail(const LeaseRef& lease, std::string_view error,
                                                std::optional<Duration> retry_after) = 0;
  virtual TransitionResult DoRelease(const LeaseRef& lease, Duration claimable_after) = 0;
  virtual int64_t DoRequeueFailed(JobId job) = 0;
  // kConflict also for an unknown partition (the caller tells them apart).
  virtual ReopenResult DoReopenPartition(const LeaseRef& done_by, std::string_view reason) = 0;
  virtual void DoAppendEvent(JobId job, std::optional<PartitionId> partition, std::string_view kind,
                             std::string_view detail_json) = 0;
  virtual std::vector<EventRecord> DoReadEvents(JobId job, EventId after, int64_t limit) = 0;

 private:
  void RequireJob(JobId job);

  const std::string description_;
  std::mutex mu_;  // serializes every call: one connection per Ledger
};

// InvalidArgument (naming the resource) unless every name is non-empty letters, digits, '_', '-',
// '.' or ':', appears once, and has a limit of at least 1. Claim checks this too.
void CheckResourceLimits(std::span<const ResourceLimit> resources);

// Opens (creating and migrating the schema when needed) the ledger a URL names:
//   "postgresql://..." or "postgres://..."  a PostgreSQL database (libpq URL syntax)
//   "sqlite:PATH", "sqlite://PATH" or PATH  a SQLite database file; its directory is created
// InvalidArgument for a malformed URL, Io when the database cannot be opened or reached.
std::unique_ptr<Ledger> OpenLedger(std::string_view url, const LedgerOptions& options = {});

}  // namespace sluice::ledger
