#include "sluice/ledger/sqlite_ledger.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <system_error>

#include "sluice/base/error.h"
#include "sluice/ledger/ledger_columns_internal.h"
#include "sluice/ledger/sqlite_connection.h"

namespace sluice::ledger {
namespace {

// Migrations, applied in order; migration i brings the schema to version i + 1. Never edit one
// that has shipped: append a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE jobs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  sealed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  options TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '{}');
CREATE TABLE partitions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  key TEXT NOT NULL,
  definition TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  attempts_used INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  heartbeat_at INTEGER,
  not_before INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error TEXT,
  output_manifest TEXT,
  UNIQUE(job_id, key));
CREATE INDEX partitions_pending ON partitions(job_id, id) WHERE status = 'pending';
CREATE INDEX partitions_running ON partitions(job_id, lease_expires_at) WHERE status = 'running';
CREATE INDEX partitions_status ON partitions(job_id, status);
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL,
  partition_id INTEGER,
  attempt INTEGER,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX events_job ON events(job_id, id);
)sql",
    // 2: the resources a running partition holds (internal::ResourceTag), for --limit.
    R"sql(
ALTER TABLE partitions ADD COLUMN resources TEXT;
)sql",
};
constexpr int64_t kSchemaVersion = std::size(kMigrations);

constexpr const char* kNow = "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
using internal::kJobColumns;
using internal::kPartitionColumns;
using internal::ToTime;

JobRecord ReadJob(SqliteStatement& row) {
  JobRecord job;
  job.id = row.Int(0);
  job.name = row.Text(1);
  job.status = ParseJobStatus(row.Text(2));
  job.sealed = row.Int(3) != 0;
  job.created_at = ToTime(row.Int(4));
  job.finished_at = ToTime(row.OptionalInt(5));
  job.options_json = row.Text(6);
  job.summary_json = row.Text(7);
  return job;
}

PartitionRecord ReadPartition(SqliteStatement& row) {
  PartitionRecord p;
  p.id = row.Int(0);
  p.job_id = row.Int(1);
  p.key = row.Text(2);
  p.definition_json = row.Text(3);
  p.status = ParsePartitionStatus(row.Text(4));
  p.attempt = row.Int(5);
  p.attempts_used = row.Int(6);
  p.max_attempts = row.Int(7);
  p.lease_owner = row.Text(8);
  p.lease_expires_at = ToTime(row.OptionalInt(9));
  p.heartbeat_at = ToTime(row.OptionalInt(10));
  p.not_before = ToTime(row.OptionalInt(11));
  p.created_at = ToTime(row.Int(12));
  p.started_at = ToTime(row.OptionalInt(13));
  p.finished_at = ToTime(row.OptionalInt(14));
  p.error = row.Text(15);
  p.output_manifest_json = row.Text(16);
  return p;
}

class SqliteLedger final : public Ledger {
 public:
  SqliteLedger(const std::filesystem::path& path, const LedgerOptions& options)
      : Ledger("sqlite:" + path.string()), db_(path, options.busy_timeout) {
    // WAL is a property of the file; synchronous and foreign_keys are per connection.
    db_.EnableWal();
    db_.Exec(options.sync_every_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db_.Exec("PRAGMA foreign_keys=ON");
    Migrate();
  }

 protected:
  Timestamp DoNow() override { return ToTime(CurrentMs()); }

  JobRecord DoCreateJob(std::string_view name, std::string_view options_json) override {
    {
      SqliteConnection::Transaction tx(db_, /*immediate=*/true);
      int64_t now = CurrentMs();
      auto insert = db_.Prepare(
          "INSERT INTO jobs(name, status, created_at, options) VALUES(?1, 'running', ?2, ?3) "
          "ON CONFLICT(name) DO NOTHING RETURNING id");
      insert->Bind(1, name).Bind(2, now).Bind(3, options_json);
      std::optional<JobId> created;
      if (insert->Step()) created = insert->Int(0);
      insert->Reset();
      if (created) {
        AddEvent(*created, std::nullopt, std::nullopt, "job_created",
                 nlohmann::json{{"name", name}}.dump(), now);
      }
      tx.Commit();
    }
    return *DoFindJob(std::nullopt, name);
  }

  std::optional<JobRecord> DoFindJob(std::optional<JobId> id,
                                     std::optional<std::string_view> name) override {
    auto query = db_.Prepare(id ? fmt::format("SELECT {} FROM jobs WHERE id = ?1", kJobColumns)
                                : fmt::format("SELECT {} FROM jobs WHERE name = ?1", kJobColumns));
    if (id) {
      query->Bind(1, *id);
    } else {
      query->Bind(1, *name);
    }
    if (!query->Step()) return std::nullopt;
    return ReadJob(*query);
  }

  std::vector<JobRecord> DoListJobs() override {
    auto query = db_.Prepare(fmt::format("SELECT {} FROM jobs ORDER BY id", kJobColumns));
    std::vector<JobRecord> out;
    while (query->Step()) out.push_back(ReadJob(*query));
    return out;
  }

  bool DoSealJob(JobId job) override {
    return UpdateJob(job, "UPDATE jobs SET sealed = 1 WHERE id = ?1", "job_sealed", "{}");
  }

  bool DoReopenJob(JobId job) override {
    return UpdateJob(job,
                     "UPDATE jobs SET status = 'running', sealed = 0, finished_at = NULL "
                     "WHERE id = ?1",
                     "job_reopened", "{}");
  }

  bool DoFinishJob(JobId job, JobStatus status, std::string_view summary_json) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    auto update =
        db_.Prepare("UPDATE jobs SET status = ?2, finished_at = ?3, summary = ?4 WHERE id = ?1");
    update->Bind(1, job).Bind(2, JobStatusName(status)).Bind(3, now).Bind(4, summary_json).Run();
    if (Changes() == 0) return false;
    AddEvent(job, std::nullopt, std::nullopt, "job_finished",
             nlohmann::json{{"status", JobStatusName(status)}}.dump(), now);
    tx.Commit();
    return true;
  }

  int64_t DoAddPartitions(JobId job, std::span<const PartitionSpec> partitions) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    if (!JobExists(job)) throw NotFound("no job with id {}", job).With("job", std::to_string(job));
    int64_t now = CurrentMs();
    auto insert = db_.Prepare(
        "INSERT INTO partitions(job_id, key, definition, status, max_attempts, created_at) "
        "VALUES(?1, ?2, ?3, 'pending', ?4, ?5) ON CONFLICT(job_id, key) DO NOTHING");
    int64_t added = 0;
    for (const PartitionSpec& spec : partitions) {
      insert->Bind(1, job).Bind(2, spec.key).Bind(3, spec.definition_json);
      insert->Bind(4, spec.max_attempts).Bind(5, now).Run();
      added += Changes();
      insert->Reset();
    }
    if (added > 0) {
      AddEvent(job, std::nullopt, std::nullopt, "partitions_added",
               nlohmann::json{{"count", added}}.dump(), now);
    }
    tx.Commit();
    return added;
  }

  std::optional<PartitionRecord> DoGetPartition(PartitionId partition) override {
    auto query =
        db_.Prepare(fmt::format("SELECT {} FROM partitions WHERE id = ?1", kPartitionColumns));
    query->Bind(1, partition);
    if (!query->Step()) return std::nullopt;
    return ReadPartition(*query);
  }

  std::vector<PartitionRecord> DoListPartitions(JobId job, const PartitionQuery& q) override {
    auto query = db_.Prepare(
        fmt::format("SELECT {} FROM partitions WHERE job_id = ?1 AND (?2 IS NULL OR status = ?2) "
                    "AND id > ?3 ORDER BY id LIMIT ?4",
                    kPartitionColumns));
    query->Bind(1, job);
    if (q.status) {
      query->Bind(2, PartitionStatusName(*q.status));
    } else {
      query->BindNull(2);
    }
    query->Bind(3, q.after_id).Bind(4, q.limit);
    std::vector<PartitionRecord> out;
    while (query->Step()) out.push_back(ReadPartition(*query));
    return out;
  }

  std::optional<JobProgress> DoProgress(JobId job) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/false);  // one snapshot for both reads
    std::optional<JobRecord> record = DoFindJob(job, std::nullopt);
    if (!record) return std::nullopt;
    JobProgress progress;
    progress.sealed = record->sealed;
    auto query = db_.Prepare(
        "SELECT status, count(*), sum(attempt) FROM partitions WHERE job_id = ?1 GROUP BY status");
    query->Bind(1, job);
    while (query->Step()) {
      int64_t count = query->Int(1);
      progress.claims += query->Int(2);
      switch (ParsePartitionStatus(query->Text(0))) {
        case PartitionStatus::kPending:
          progress.pending = count;
          break;
        case PartitionStatus::kRunning:
          progress.running = count;
          break;
        case PartitionStatus::kDone:
          progress.done = count;
          break;
        case PartitionStatus::kFailed:
          progress.failed = count;
          break;
      }
    }
    tx.Commit();
    return progress;
  }

  std::vector<Lease> DoClaim(JobId job, const ClaimRequest& request) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    FailExhaustedLeases(job, now);
    // Units of the requested resources left free; the write lock makes the count exact.
    int64_t capacity = request.max_partitions;
    for (const ResourceLimit& r : request.resources) {
      auto held = db_.Prepare(
          "SELECT count(*) FROM partitions WHERE job_id = ?1 AND status = 'running' "
          "AND instr(resources, ?2) > 0");
      held->Bind(1, job).Bind(2, internal::ResourceNeedle(r.name));
      held->Step();
      capacity = std::min(capacity, std::max<int64_t>(0, r.limit - held->Int(0)));
    }
    // Expired leases first (their worker is presumed dead), then pending partitions in the order
    // they were added, so latency from creation to claim stays first-in first-out.
    std::vector<std::pair<PartitionId, std::string>> candidates;  // id, previous owner
    {
      auto expired = db_.Prepare(
          "SELECT id, lease_owner, coalesce(resources, '') FROM partitions WHERE job_id = ?1 "
          "AND status = 'running' AND lease_expires_at <= ?2 ORDER BY lease_expires_at LIMIT ?3");
      expired->Bind(1, job).Bind(2, now).Bind(3, request.max_partitions);
      while (expired->Step()) {
        // An expired lease that holds the units already hands them over; others need free ones.
        if (!internal::TagHoldsAll(expired->Text(2), request.resources)) {
          if (capacity == 0) continue;
          --capacity;
        }
        candidates.emplace_back(expired->Int(0), expired->Text(1));
      }
    }
    int64_t room = std::min(request.max_partitions - std::ssize(candidates), capacity);
    if (room > 0) {
      auto pending = db_.Prepare(
          "SELECT id FROM partitions WHERE job_id = ?1 AND status = 'pending' "
          "AND (not_before IS NULL OR not_before <= ?2) ORDER BY id LIMIT ?3");
      pending->Bind(1, job).Bind(2, now).Bind(3, room);
      while (pending->Step()) candidates.emplace_back(pending->Int(0), std::string());
    }
    std::optional<std::string> tag = internal::ResourceTag(request.resources);
    std::vector<Lease> leases;
    auto claim = db_.Prepare(
        "UPDATE partitions SET status = 'running', attempt = attempt + 1, "
        "attempts_used = attempts_used + 1, lease_owner = ?2, lease_expires_at = ?3, "
        "heartbeat_at = ?4, started_at = ?4, not_before = NULL, resources = ?5 WHERE id = ?1 "
        "RETURNING attempt, key, definition");
    for (const auto& [id, previous_owner] : candidates) {
      claim->Bind(1, id).Bind(2, request.owner).Bind(3, now + request.lease.count()).Bind(4, now);
      if (tag) {
        claim->Bind(5, *tag);
      } else {
        claim->BindNull(5);
      }
      if (!claim->Step()) continue;
      Lease lease{id,
                  claim->Int(0),
                  job,
                  claim->Text(1),
                  claim->Text(2),
                  ToTime(now + request.lease.count())};
      claim->Reset();
      nlohmann::json detail{{"owner", request.owner}};
      if (!previous_owner.empty()) detail["reclaimed_from"] = previous_owner;
      AddEvent(job, id, lease.attempt, "claimed", detail.dump(), now);
      leases.push_back(std::move(lease));
    }
    tx.Commit();
    return leases;
  }

  std::vector<std::optional<Timestamp>> DoHeartbeat(std::span<const LeaseRef> leases,
                                                    Duration lease_duration) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    auto update = db_.Prepare(
        "UPDATE partitions SET lease_expires_at = ?3, heartbeat_at = ?4 "
        "WHERE id = ?1 AND attempt = ?2 AND status = 'running'");
    std::vector<std::optional<Timestamp>> out;
    for (const LeaseRef& lease : leases) {
      update->Bind(1, lease.partition_id).Bind(2, lease.attempt);
      update->Bind(3, now + lease_duration.count()).Bind(4, now).Run();
      update->Reset();
      out.push_back(Changes() > 0 ? std::optional(ToTime(now + lease_duration.count()))
                                  : std::nullopt);
    }
    tx.Commit();
    return out;
  }

  std::vector<TransitionResult> DoComplete(std::span<const Completion> completions) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    auto update = db_.Prepare(
        "UPDATE partitions SET status = 'done', finished_at = ?3, lease_expires_at = NULL, "
        "output_manifest = ?4, error = NULL WHERE id = ?1 AND attempt = ?2 AND status = 'running' "
        "RETURNING job_id");
    std::vector<TransitionResult> out;
    for (const Completion& c : completions) {
      update->Bind(1, c.lease.partition_id).Bind(2, c.lease.attempt);
      update->Bind(3, now).Bind(4, c.output_manifest_json);
      if (update->Step()) {
        JobId job = update->Int(0);
        update->Reset();
        AddEvent(job, c.lease.partition_id, c.lease.attempt, "completed", "{}", now);
        out.push_back(TransitionResult::kApplied);
      } else {
        update->Reset();
        out.push_back(IsRepeat(c.lease, {"done"}) ? TransitionResult::kApplied
                                                  : TransitionResult::kConflict);
      }
    }
    tx.Commit();
    return out;
  }

  std::optional<PartitionStatus> DoFail(const LeaseRef& lease, std::string_view error,
                                        std::optional<Duration> retry_after) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    const bool permanent = !retry_after;
    auto update = db_.Prepare(
        "UPDATE partitions SET "
        "status = CASE WHEN ?6 OR attempts_used >= max_attempts THEN 'failed' ELSE 'pending' END, "
        "not_before = CASE WHEN ?6 OR attempts_used >= max_attempts THEN NULL ELSE ?4 + ?5 END, "
        "finished_at = CASE WHEN ?6 OR attempts_used >= max_attempts THEN ?4 ELSE NULL END, "
        "lease_expires_at = NULL, error = ?3 "
        "WHERE id = ?1 AND attempt = ?2 AND status = 'running' RETURNING job_id, status");
    update->Bind(1, lease.partition_id).Bind(2, lease.attempt).Bind(3, error);
    update->Bind(4, now).Bind(5, retry_after.value_or(Duration(0)).count());
    update->Bind(6, int64_t{permanent});
    if (!update->Step()) {
      update->Reset();
      if (permanent) return RepeatStatus(lease, {"failed"});
      return RepeatStatus(lease, {"pending", "failed"});
    }
    JobId job = update->Int(0);
    PartitionStatus status = ParsePartitionStatus(update->Text(1));
    update->Reset();
    nlohmann::json detail{{"error", error}, {"final", status == PartitionStatus::kFailed}};
    if (permanent) detail["permanent"] = true;
    if (status == PartitionStatus::kPending) detail["retry_after_ms"] = retry_after->count();
    AddEvent(job, lease.partition_id, lease.attempt, "failed", detail.dump(), now);
    tx.Commit();
    return status;
  }

  TransitionResult DoRelease(const LeaseRef& lease, Duration claimable_after) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    auto update = db_.Prepare(
        "UPDATE partitions SET status = 'pending', attempts_used = attempts_used - 1, "
        "lease_expires_at = NULL, not_before = CASE WHEN ?4 > 0 THEN ?3 + ?4 END "
        "WHERE id = ?1 AND attempt = ?2 AND status = 'running' RETURNING job_id");
    update->Bind(1, lease.partition_id).Bind(2, lease.attempt);
    update->Bind(3, now).Bind(4, claimable_after.count());
    const std::optional<JobId> job = ChangedJob(*update);
    if (!job) {
      return IsRepeat(lease, {"pending"}) ? TransitionResult::kApplied
                                          : TransitionResult::kConflict;
    }
    const std::string detail =
        claimable_after.count() > 0
            ? nlohmann::json{{"claimable_after_ms", claimable_after.count()}}.dump()
            : "{}";
    AddEvent(*job, lease.partition_id, lease.attempt, "released", detail, now);
    tx.Commit();
    return TransitionResult::kApplied;
  }

  int64_t DoRequeueFailed(JobId job) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    db_.Prepare(
           "UPDATE partitions SET status = 'pending', attempts_used = 0, not_before = NULL, "
           "finished_at = NULL WHERE job_id = ?1 AND status = 'failed'")
        ->Bind(1, job)
        .Run();
    int64_t requeued = Changes();
    if (requeued > 0) {
      db_.Prepare("UPDATE jobs SET status = 'running', finished_at = NULL WHERE id = ?1")
          ->Bind(1, job)
          .Run();
      AddEvent(job, std::nullopt, std::nullopt, "requeued",
               nlohmann::json{{"count", requeued}}.dump(), now);
    }
    tx.Commit();
    return requeued;
  }

  ReopenResult DoReopenPartition(const LeaseRef& done_by, std::string_view reason) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    int64_t now = CurrentMs();
    auto update = db_.Prepare(
        "UPDATE partitions SET status = 'pending', attempts_used = 0, not_before = NULL, "
        "finished_at = NULL, output_manifest = NULL, error = ?3 "
        "WHERE id = ?1 AND attempt = ?2 AND status = 'done' RETURNING job_id");
    update->Bind(1, done_by.partition_id).Bind(2, done_by.attempt).Bind(3, reason);
    const std::optional<JobId> job = ChangedJob(*update);
    if (!job) {
      return IsRepeat(done_by, {"pending"}) ? ReopenResult::kAlreadyReopened
                                            : ReopenResult::kConflict;
    }
    db_.Prepare(
           "UPDATE jobs SET status = 'running', finished_at = NULL "
           "WHERE id = ?1 AND status <> 'running'")
        ->Bind(1, *job)
        .Run();
    nlohmann::json detail{{"reason", reason}, {"job_reopened", Changes() > 0}};
    AddEvent(*job, done_by.partition_id, done_by.attempt, "reopened", detail.dump(), now);
    tx.Commit();
    return ReopenResult::kReopened;
  }

  void DoAppendEvent(JobId job, std::optional<PartitionId> partition, std::string_view kind,
                     std::string_view detail_json) override {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    AddEvent(job, partition, std::nullopt, kind, detail_json, CurrentMs());
    tx.Commit();
  }

  std::vector<EventRecord> DoReadEvents(JobId job, EventId after, int64_t limit) override {
    auto query = db_.Prepare(
        "SELECT id, job_id, partition_id, attempt, kind, detail, at FROM events "
        "WHERE job_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
    query->Bind(1, job).Bind(2, after).Bind(3, limit);
    std::vector<EventRecord> out;
    while (query->Step()) {
      out.push_back({query->Int(0), query->Int(1), query->OptionalInt(2), query->OptionalInt(3),
                     query->Text(4), query->Text(5), ToTime(query->Int(6))});
    }
    return out;
  }

 private:
  // Brings the schema to kSchemaVersion. A ledger already there is only read, so that processes
  // opening it while others write never queue for the write lock.
  void Migrate() {
    if (SchemaVersion() == kSchemaVersion) return;
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    db_.Exec("CREATE TABLE IF NOT EXISTS sluice_schema_version(version INTEGER NOT NULL)");
    int64_t version = SchemaVersion().value_or(0);
    if (version == kSchemaVersion) return;  // nothing written; the destructor rolls back
    if (version > kSchemaVersion) {
      throw NotSupported(
          "the ledger's schema version {} is newer than this sluice understands ({}); "
          "upgrade sluice",
          version, kSchemaVersion);
    }
    for (int64_t v = version; v < kSchemaVersion; ++v) db_.Exec(kMigrations[v]);
    db_.Exec("DELETE FROM sluice_schema_version");
    db_.Prepare("INSERT INTO sluice_schema_version(version) VALUES(?1)")
        ->Bind(1, kSchemaVersion)
        .Run();
    tx.Commit();
  }

  // nullopt before the version table exists.
  std::optional<int64_t> SchemaVersion() {
    {
      auto exists = db_.Prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sluice_schema_version'");
      if (!exists->Step()) return std::nullopt;
    }
    auto query = db_.Prepare("SELECT coalesce(max(version), 0) FROM sluice_schema_version");
    return query->Step() ? query->Int(0) : 0;
  }

  int64_t CurrentMs() {
    auto query = db_.Prepare(kNow);
    query->Step();
    return query->Int(0);
  }

  int64_t Changes() { return sqlite3_changes64(db_.handle()); }

  bool JobExists(JobId job) {
    auto query = db_.Prepare("SELECT 1 FROM jobs WHERE id = ?1");
    query->Bind(1, job);
    return query->Step();
  }

  bool UpdateJob(JobId job, const char* sql, std::string_view event, std::string_view detail) {
    SqliteConnection::Transaction tx(db_, /*immediate=*/true);
    db_.Prepare(sql)->Bind(1, job).Run();
    if (Changes() == 0) return false;
    AddEvent(job, std::nullopt, std::nullopt, event, detail, CurrentMs());
    tx.Commit();
    return true;
  }

  // Running partitions whose lease expired after their last allowed attempt: the worker died or
  // hung on every attempt, so the partition fails now instead of being claimed again.
  void FailExhaustedLeases(JobId job, int64_t now) {
    std::vector<std::pair<PartitionId, int64_t>> failed;
    {
      auto update = db_.Prepare(
          "UPDATE partitions SET status = 'failed', finished_at = ?2, lease_expires_at = NULL, "
          "error = printf('lease of attempt %d expired: worker %s presumed dead or hung "
          "(%d of %d attempts used)', attempt, lease_owner, attempts_used, max_attempts) "
          "WHERE job_id = ?1 AND status = 'running' AND lease_expires_at <= ?2 "
          "AND attempts_used >= max_attempts RETURNING id, attempt, error");
      update->Bind(1, job).Bind(2, now);
      while (update->Step()) failed.emplace_back(update->Int(0), update->Int(1));
    }
    for (const auto& [id, attempt] : failed) {
      AddEvent(job, id, attempt, "failed",
               nlohmann::json{{"error", "lease expired"}, {"final", true}}.dump(), now);
    }
  }

  // Steps a guarded "UPDATE ... RETURNING job_id": the job of the partition it changed, nullopt
  // when it matched none (stale or repeated).
  static std::optional<JobId> ChangedJob(SqliteStatement& update) {
    std::optional<JobId> job;
    if (update.Step()) job = update.Int(0);
    update.Reset();
    return job;
  }

  // The status of a partition whose guarded update matched nothing, when this same attempt
  // already moved it to one of `statuses` (a repeated call); nullopt when another attempt owns it.
  std::optional<PartitionStatus> RepeatStatus(const LeaseRef& lease,
                                              std::initializer_list<std::string_view> statuses) {
    auto query = db_.Prepare("SELECT status, attempt FROM partitions WHERE id = ?1");
    query->Bind(1, lease.partition_id);
    if (!query->Step() || query->Int(1) != lease.attempt) return std::nullopt;
    std::string status = query->Text(0);
    for (std::string_view s : statuses) {
      if (s == status) return ParsePartitionStatus(status);
    }
    return std::nullopt;
  }

  bool IsRepeat(const LeaseRef& lease, std::initializer_list<std::string_view> statuses) {
    return RepeatStatus(lease, statuses).has_value();
  }

  void AddEvent(JobId job, std::optional<PartitionId> partition, std::optional<int64_t> attempt,
                std::string_view kind, std::string_view detail, int64_t now) {
    db_.Prepare(
           "INSERT INTO events(job_id, partition_id, attempt, kind, detail, at) "
           "VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
        ->Bind(1, job)
        .Bind(2, partition)
        .Bind(3, attempt)
        .Bind(4, kind)
        .Bind(5, detail)
        .Bind(6, now)
        .Run();
  }

  SqliteConnection db_;
};

}  // namespace

std::unique_ptr<Ledger> OpenSqliteLedger(const std::filesystem::path& path,
                                         const LedgerOptions& options) {
  std::filesystem::path parent = path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw IoErrorFromErrno(ec.value(), "create ledger directory", parent.string());
    if (!std::filesystem::is_directory(parent, ec)) {
      throw IoError("ledger directory is not a directory").With("file", parent.string());
    }
  }
  if (std::filesystem::is_directory(path)) {
    throw InvalidArgument("ledger path names a directory, not a database file")
        .With("file", path.string());
  }
  return std::make_unique<SqliteLedger>(path, options);
}

}  // namespace sluice::ledger
