#include "sluice/ledger/postgres_ledger.h"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/ledger/ledger_columns_internal.h"
#include "sluice/ledger/ledger_url.h"
#include "sluice/ledger/postgres_claim_internal.h"
#include "sluice/ledger/postgres_connection.h"

namespace sluice::ledger {
namespace {

// Migrations, applied in order; migration i brings the schema to version i + 1. Never edit one
// that has shipped: append a new one. Times are bigint milliseconds since the epoch, as in the
// SQLite ledger, always computed by the server.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE jobs(
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  status text NOT NULL,
  sealed boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  finished_at bigint,
  options text NOT NULL,
  summary text NOT NULL DEFAULT '{}');
CREATE TABLE partitions(
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES jobs(id),
  key text NOT NULL,
  definition text NOT NULL,
  status text NOT NULL,
  attempt bigint NOT NULL DEFAULT 0,
  attempts_used bigint NOT NULL DEFAULT 0,
  max_attempts bigint NOT NULL,
  lease_owner text,
  lease_expires_at bigint,
  heartbeat_at bigint,
  not_before bigint,
  created_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  error text,
  output_manifest text,
  UNIQUE(job_id, key));
CREATE INDEX partitions_pending ON partitions(job_id, id) WHERE status = 'pending';
CREATE INDEX partitions_running ON partitions(job_id, lease_expires_at) WHERE status = 'running';
CREATE INDEX partitions_status ON partitions(job_id, status);
CREATE TABLE events(
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL,
  partition_id bigint,
  attempt bigint,
  kind text NOT NULL,
  detail text NOT NULL,
  at bigint NOT NULL);
CREATE INDEX events_job ON events(job_id, id);
)sql",
    // 2: the resources a running partition holds (internal::ResourceTag), for resource limits.
    R"sql(
ALTER TABLE partitions ADD COLUMN resources text;
)sql",
};
constexpr int64_t kSchemaVersion = std::size(kMigrations);
// pg_advisory_xact_lock key serializing schema migrations ("sluice" in ASCII, then 1).
constexpr int64_t kMigrationLock = 0x736c7569636501;

// The server's clock, fixed for the statement's transaction.
#define SLUICE_CLOCK "clock AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS ms)"

// Completes a batch: $1 partition ids, $2 attempts, $3 manifests; returns the (id, attempt) pairs
// it moved to done.
constexpr const char* kCompleteSql = R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t(id, attempt, manifest)),
done AS (
  UPDATE partitions p SET status = 'done', finished_at = clock.ms, lease_expires_at = NULL,
    output_manifest = input.manifest, error = NULL
  FROM input, clock
  WHERE p.id = input.id AND p.attempt = input.attempt AND p.status = 'running'
  RETURNING p.id, p.attempt, p.job_id, clock.ms),
logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT job_id, id, attempt, 'completed', '{}', ms FROM done)
SELECT id, attempt FROM done)sql";

using internal::ClaimUnlimited;
using internal::ClaimWithinLimits;
using internal::kJobColumns;
using internal::kPartitionColumns;
using internal::ToTime;

JobRecord ReadJob(const PgResult& r, int row) {
  return {r.Int(row, 0),  r.Text(row, 1),        ParseJobStatus(r.Text(row, 2)),
          r.Bool(row, 3), ToTime(r.Int(row, 4)), ToTime(r.OptionalInt(row, 5)),
          r.Text(row, 6), r.Text(row, 7)};
}

PartitionRecord ReadPartition(const PgResult& r, int row) {
  PartitionRecord p;
  p.id = r.Int(row, 0);
  p.job_id = r.Int(row, 1);
  p.key = r.Text(row, 2);
  p.definition_json = r.Text(row, 3);
  p.status = ParsePartitionStatus(r.Text(row, 4));
  p.attempt = r.Int(row, 5);
  p.attempts_used = r.Int(row, 6);
  p.max_attempts = r.Int(row, 7);
  p.lease_owner = r.Text(row, 8);
  p.lease_expires_at = ToTime(r.OptionalInt(row, 9));
  p.heartbeat_at = ToTime(r.OptionalInt(row, 10));
  p.not_before = ToTime(r.OptionalInt(row, 11));
  p.created_at = ToTime(r.Int(row, 12));
  p.started_at = ToTime(r.OptionalInt(row, 13));
  p.finished_at = ToTime(r.OptionalInt(row, 14));
  p.error = r.Text(row, 15);
  p.output_manifest_json = r.Text(row, 16);
  return p;
}

class PostgresLedger final : public Ledger {
 public:
  PostgresLedger(const std::string& conninfo, const LedgerOptions& options)
      : Ledger(RedactLedgerUrl(conninfo)), db_(conninfo, options.reconnect_timeout) {
    db_.Retrying([&] { Migrate(); });
  }

 protected:
  Timestamp DoNow() override {
    return db_.Retrying([&] {
      return ToTime(db_.Run("WITH " SLUICE_CLOCK " SELECT ms FROM clock", {}).Int(0, 0));
    });
  }

  JobRecord DoCreateJob(std::string_view name, std::string_view options_json) override {
    return db_.Retrying([&] {
      db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
created AS (
  INSERT INTO jobs(name, status, created_at, options)
  SELECT $1::text, 'running', ms, $2::text FROM clock
  ON CONFLICT (name) DO NOTHING RETURNING id, created_at)
INSERT INTO events(job_id, kind, detail, at)
SELECT id, 'job_created', json_build_object('name', $1::text)::text, created_at FROM created)sql",
              PgParams().Add(name).Add(options_json));
      return *FindJob(std::nullopt, name);
    });
  }

  std::optional<JobRecord> DoFindJob(std::optional<JobId> id,
                                     std::optional<std::string_view> name) override {
    return db_.Retrying([&] { return FindJob(id, name); });
  }

  std::vector<JobRecord> DoListJobs() override {
    return db_.Retrying([&] {
      PgResult r = db_.Run(fmt::format("SELECT {} FROM jobs ORDER BY id", kJobColumns), {});
      std::vector<JobRecord> out;
      for (int i = 0; i < r.rows(); ++i) out.push_back(ReadJob(r, i));
      return out;
    });
  }

  bool DoSealJob(JobId job) override {
    return UpdateJob("sealed = true", "job_sealed", PgParams().Add(job));
  }

  bool DoReopenJob(JobId job) override {
    return UpdateJob("status = 'running', sealed = false, finished_at = NULL", "job_reopened",
                     PgParams().Add(job));
  }

  bool DoFinishJob(JobId job, JobStatus status, std::string_view summary_json) override {
    return db_.Retrying([&] {
      PgResult r = db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
finished AS (
  UPDATE jobs SET status = $2::text, finished_at = clock.ms, summary = $3::text FROM clock
  WHERE id = $1::bigint RETURNING id, finished_at),
logged AS (
  INSERT INTO events(job_id, kind, detail, at)
  SELECT id, 'job_finished', json_build_object('status', $2::text)::text, finished_at
  FROM finished)
SELECT count(*) FROM finished)sql",
                           PgParams().Add(job).Add(JobStatusName(status)).Add(summary_json));
      return r.Int(0, 0) > 0;
    });
  }

  int64_t DoAddPartitions(JobId job, std::span<const PartitionSpec> partitions) override {
    std::vector<std::string> keys, definitions;
    std::vector<int64_t> max_attempts;
    for (const PartitionSpec& spec : partitions) {
      keys.push_back(spec.key);
      definitions.push_back(spec.definition_json);
      max_attempts.push_back(spec.max_attempts);
    }
    PgParams params;
    params.Add(job).AddArray(keys).AddArray(definitions).AddArray(max_attempts);
    PgResult r = db_.Retrying([&] {
      return db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
job AS (SELECT id FROM jobs WHERE id = $1::bigint),
added AS (
  INSERT INTO partitions(job_id, key, definition, status, max_attempts, created_at)
  SELECT job.id, t.key, t.definition, 'pending', t.max_attempts, clock.ms
  FROM job, clock, unnest($2::text[], $3::text[], $4::bigint[]) AS t(key, definition, max_attempts)
  ON CONFLICT (job_id, key) DO NOTHING RETURNING 1),
logged AS (
  INSERT INTO events(job_id, kind, detail, at)
  SELECT $1::bigint, 'partitions_added', json_build_object('count', count(*))::text,
         (SELECT ms FROM clock)
  FROM added HAVING count(*) > 0)
SELECT (SELECT count(*) FROM job), (SELECT count(*) FROM added))sql",
                     params);
    });
    if (r.Int(0, 0) == 0) throw NotFound("no job with id {}", job).With("job", std::to_string(job));
    return r.Int(0, 1);
  }

  std::optional<PartitionRecord> DoGetPartition(PartitionId partition) override {
    return db_.Retrying([&]() -> std::optional<PartitionRecord> {
      PgResult r =
          db_.Run(fmt::format("SELECT {} FROM partitions WHERE id = $1::bigint", kPartitionColumns),
                  PgParams().Add(partition));
      if (r.rows() == 0) return std::nullopt;
      return ReadPartition(r, 0);
    });
  }

  std::vector<PartitionRecord> DoListPartitions(JobId job, const PartitionQuery& q) override {
    PgParams params;
    params.Add(job);
    if (q.status) {
      params.Add(PartitionStatusName(*q.status));
    } else {
      params.AddNull();
    }
    params.Add(q.after_id).Add(q.limit);
    return db_.Retrying([&] {
      PgResult r = db_.Run(fmt::format("SELECT {} FROM partitions WHERE job_id = $1::bigint "
                                       "AND ($2::text IS NULL OR status = $2::text) "
                                       "AND id > $3::bigint ORDER BY id LIMIT $4::bigint",
                                       kPartitionColumns),
                           params);
      std::vector<PartitionRecord> out;
      for (int i = 0; i < r.rows(); ++i) out.push_back(ReadPartition(r, i));
      return out;
    });
  }

  std::optional<JobProgress> DoProgress(JobId job) override {
    return db_.Retrying([&]() -> std::optional<JobProgress> {
      // One statement, so both parts come from one snapshot.
      PgResult r = db_.Run(R"sql(
SELECT j.sealed, p.status, count(p.id), coalesce(sum(p.attempt), 0)
FROM jobs j LEFT JOIN partitions p ON p.job_id = j.id
WHERE j.id = $1::bigint GROUP BY j.sealed, p.status)sql",
                           PgParams().Add(job));
      if (r.rows() == 0) return std::nullopt;
      JobProgress progress;
      for (int i = 0; i < r.rows(); ++i) {
        progress.sealed = r.Bool(i, 0);
        if (r.IsNull(i, 1)) continue;  // a job without partitions
        int64_t count = r.Int(i, 2);
        progress.claims += r.Int(i, 3);
        switch (ParsePartitionStatus(r.Text(i, 1))) {
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
      return progress;
    });
  }

  std::vector<Lease> DoClaim(JobId job, const ClaimRequest& request) override {
    if (request.resources.empty())
      return db_.Retrying([&] { return ClaimUnlimited(db_, job, request); });
    return db_.Retrying([&] { return ClaimWithinLimits(db_, job, request); });
  }

  std::vector<std::optional<Timestamp>> DoHeartbeat(std::span<const LeaseRef> leases,
                                                    Duration lease_duration) override {
    auto [ids, attempts] = Split(leases);
    PgParams params;
    params.AddArray(ids).AddArray(attempts).Add(lease_duration.count());
    PgResult r = db_.Retrying([&] {
      return db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS t(id, attempt))
UPDATE partitions p SET lease_expires_at = clock.ms + $3::bigint, heartbeat_at = clock.ms
FROM input, clock
WHERE p.id = input.id AND p.attempt = input.attempt AND p.status = 'running'
RETURNING p.id, p.attempt, p.lease_expires_at)sql",
                     params);
    });
    std::map<std::pair<int64_t, int64_t>, Timestamp> extended;
    for (int i = 0; i < r.rows(); ++i) {
      extended[{r.Int(i, 0), r.Int(i, 1)}] = ToTime(r.Int(i, 2));
    }
    std::vector<std::optional<Timestamp>> out;
    for (const LeaseRef& lease : leases) {
      auto it = extended.find({lease.partition_id, lease.attempt});
      out.push_back(it != extended.end() ? std::optional(it->second) : std::nullopt);
    }
    return out;
  }

  std::vector<TransitionResult> DoComplete(std::span<const Completion> completions) override {
    PgParams params = CompletionParams(completions);
    PgResult r = db_.Retrying([&] { return db_.Run(kCompleteSql, params); });
    return CompletionOutcomes(completions, r);
  }

  CompleteAndClaimResult DoCompleteAndClaim(std::span<const Completion> completions, JobId job,
                                            const ClaimRequest& request) override {
    // A limited claim is a transaction of its own; it cannot join this one.
    if (completions.empty() || !request.resources.empty()) {
      return Ledger::DoCompleteAndClaim(completions, job, request);
    }
    PgParams params = CompletionParams(completions);
    auto [done, leases] = db_.Retrying([&] {
      return internal::InTransaction(db_, [&] {
        PgResult r = db_.Run(kCompleteSql, params);
        return std::make_pair(std::move(r), ClaimUnlimited(db_, job, request));
      });
    });
    return {CompletionOutcomes(completions, done), std::move(leases)};
  }

  std::optional<PartitionStatus> DoFail(const LeaseRef& lease, std::string_view error,
                                        std::optional<Duration> retry_after) override {
    // A NULL retry_after ($4) fails the partition for good.
    std::optional<int64_t> retry_ms;
    if (retry_after) retry_ms = retry_after->count();
    PgParams params;
    params.Add(lease.partition_id).Add(lease.attempt).Add(error).Add(retry_ms);
    PgResult r = db_.Retrying([&] {
      return db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
failed AS (
  UPDATE partitions p SET
    status = CASE WHEN $4::bigint IS NULL OR p.attempts_used >= p.max_attempts THEN 'failed'
                  ELSE 'pending' END,
    not_before = CASE WHEN $4::bigint IS NULL OR p.attempts_used >= p.max_attempts THEN NULL
                      ELSE clock.ms + $4::bigint END,
    finished_at = CASE WHEN $4::bigint IS NULL OR p.attempts_used >= p.max_attempts
                       THEN clock.ms END,
    lease_expires_at = NULL, error = $3::text
  FROM clock
  WHERE p.id = $1::bigint AND p.attempt = $2::bigint AND p.status = 'running'
  RETURNING p.job_id, p.status, clock.ms),
logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT job_id, $1::bigint, $2::bigint, 'failed',
         json_strip_nulls(json_build_object(
           'error', $3::text, 'final', status = 'failed',
           'permanent', CASE WHEN $4::bigint IS NULL THEN true END,
           'retry_after_ms', CASE WHEN status = 'pending' THEN $4::bigint END))::text, ms
  FROM failed)
SELECT status FROM failed)sql",
                     params);
    });
    if (r.rows() > 0) return ParsePartitionStatus(r.Text(0, 0));
    if (!retry_after) return RepeatStatus(lease, {"failed"});
    return RepeatStatus(lease, {"pending", "failed"});
  }

  TransitionResult DoRelease(const LeaseRef& lease, Duration claimable_after) override {
    PgParams params;
    params.Add(lease.partition_id).Add(lease.attempt).Add(claimable_after.count());
    PgResult r = db_.Retrying([&] {
      return db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
released AS (
  UPDATE partitions p SET status = 'pending', attempts_used = p.attempts_used - 1,
    lease_expires_at = NULL,
    not_before = CASE WHEN $3::bigint > 0 THEN clock.ms + $3::bigint END
  FROM clock
  WHERE p.id = $1::bigint AND p.attempt = $2::bigint AND p.status = 'running'
  RETURNING p.job_id, clock.ms),
logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT job_id, $1::bigint, $2::bigint, 'released',
         CASE WHEN $3::bigint > 0 THEN json_build_object('claimable_after_ms', $3::bigint)::text
              ELSE '{}' END, ms
  FROM released)
SELECT count(*) FROM released)sql",
                     params);
    });
    if (r.Int(0, 0) > 0 || RepeatStatus(lease, {"pending"})) return TransitionResult::kApplied;
    return TransitionResult::kConflict;
  }

  int64_t DoRequeueFailed(JobId job) override {
    PgResult r = db_.Retrying([&] {
      return db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
requeued AS (
  UPDATE partitions SET status = 'pending', attempts_used = 0, not_before = NULL,
    finished_at = NULL
  WHERE job_id = $1::bigint AND status = 'failed' RETURNING id),
counted AS (SELECT count(*) AS n FROM requeued),
reopened AS (
  UPDATE jobs SET status = 'running', finished_at = NULL FROM counted
  WHERE id = $1::bigint AND counted.n > 0 RETURNING id),
logged AS (
  INSERT INTO events(job_id, kind, detail, at)
  SELECT $1::bigint, 'requeued', json_build_object('count', n)::text, clock.ms
  FROM counted, clock WHERE n > 0)
SELECT n FROM counted)sql",
                     PgParams().Add(job));
    });
    return r.Int(0, 0);
  }

  ReopenResult DoReopenPartition(const LeaseRef& done_by, std::string_view reason) override {
    PgParams params;
    params.Add(done_by.partition_id).Add(done_by.attempt).Add(reason);
    PgResult r = db_.Retrying([&] {
      return db_.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
reopened AS (
  UPDATE partitions SET status = 'pending', attempts_used = 0, not_before = NULL,
    finished_at = NULL, output_manifest = NULL, error = $3::text
  WHERE id = $1::bigint AND attempt = $2::bigint AND status = 'done' RETURNING job_id),
job AS (
  UPDATE jobs j SET status = 'running', finished_at = NULL FROM reopened
  WHERE j.id = reopened.job_id AND j.status <> 'running' RETURNING j.id),
logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT job_id, $1::bigint, $2::bigint, 'reopened',
         json_build_object('reason', $3::text,
                           'job_reopened', EXISTS (SELECT 1 FROM job))::text, clock.ms
  FROM reopened, clock)
SELECT count(*) FROM reopened)sql",
                     params);
    });
    if (r.Int(0, 0) > 0) return ReopenResult::kReopened;
    return RepeatStatus(done_by, {"pending"}) ? ReopenResult::kAlreadyReopened
                                              : ReopenResult::kConflict;
  }

  void DoAppendEvent(JobId job, std::optional<PartitionId> partition, std::string_view kind,
                     std::string_view detail_json) override {
    PgParams params;
    params.Add(job).Add(partition).Add(kind).Add(detail_json);
    db_.Retrying([&] {
      db_.Run("WITH " SLUICE_CLOCK R"sql(
INSERT INTO events(job_id, partition_id, kind, detail, at)
SELECT $1::bigint, $2::bigint, $3::text, $4::text, ms FROM clock)sql",
              params);
    });
  }

  std::vector<EventRecord> DoReadEvents(JobId job, EventId after, int64_t limit) override {
    return db_.Retrying([&] {
      PgResult r = db_.Run(
          "SELECT id, job_id, partition_id, attempt, kind, detail, at FROM events "
          "WHERE job_id = $1::bigint AND id > $2::bigint ORDER BY id LIMIT $3::bigint",
          PgParams().Add(job).Add(after).Add(limit));
      std::vector<EventRecord> out;
      for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.Int(i, 0), r.Int(i, 1), r.OptionalInt(i, 2), r.OptionalInt(i, 3),
                       r.Text(i, 4), r.Text(i, 5), ToTime(r.Int(i, 6))});
      }
      return out;
    });
  }

 private:
  // The schema version, without a lock: 0 when the version table does not exist yet.
  int64_t SchemaVersion() {
    if (db_.Exec("SELECT to_regclass('sluice_schema_version') IS NULL").Text(0, 0) == "t") return 0;
    return db_.Exec("SELECT coalesce(max(version), 0) FROM sluice_schema_version").Int(0, 0);
  }

  void RefuseNewerSchema(int64_t version) {
    if (version > kSchemaVersion) {
      throw NotSupported(
          "the ledger's schema version {} is newer than this sluice understands ({}); "
          "upgrade sluice",
          version, kSchemaVersion);
    }
  }

  // Every connection checks the schema; only one that finds it missing or old takes the
  // migration lock, so hundreds of workers connecting at once do not queue on it.
  void Migrate() {
    const int64_t seen = SchemaVersion();
    RefuseNewerSchema(seen);
    if (seen == kSchemaVersion) return;
    db_.Exec("BEGIN");
    try {
      db_.Run("SELECT pg_advisory_xact_lock($1::bigint)", PgParams().Add(kMigrationLock));
      db_.Exec("CREATE TABLE IF NOT EXISTS sluice_schema_version(version bigint NOT NULL)");
      int64_t version =
          db_.Exec("SELECT coalesce(max(version), 0) FROM sluice_schema_version").Int(0, 0);
      RefuseNewerSchema(version);
      for (int64_t v = version; v < kSchemaVersion; ++v) db_.Exec(kMigrations[v]);
      if (version < kSchemaVersion) {
        db_.Exec("DELETE FROM sluice_schema_version");
        db_.Run("INSERT INTO sluice_schema_version(version) VALUES($1::bigint)",
                PgParams().Add(kSchemaVersion));
      }
      db_.Exec("COMMIT");
    } catch (...) {
      try {
        db_.Exec("ROLLBACK");
      } catch (const Error&) {
        // The connection is gone; the server rolled back already.
      }
      throw;
    }
  }

  std::optional<JobRecord> FindJob(std::optional<JobId> id, std::optional<std::string_view> name) {
    PgResult r = id ? db_.Run(fmt::format("SELECT {} FROM jobs WHERE id = $1::bigint", kJobColumns),
                              PgParams().Add(*id))
                    : db_.Run(fmt::format("SELECT {} FROM jobs WHERE name = $1::text", kJobColumns),
                              PgParams().Add(*name));
    if (r.rows() == 0) return std::nullopt;
    return ReadJob(r, 0);
  }

  bool UpdateJob(std::string_view assignments, std::string_view event, const PgParams& params) {
    std::string sql = fmt::format(R"sql(
WITH {},
updated AS (UPDATE jobs SET {} WHERE id = $1::bigint RETURNING id),
logged AS (
  INSERT INTO events(job_id, kind, detail, at) SELECT id, '{}', '{{}}', clock.ms
  FROM updated, clock)
SELECT count(*) FROM updated)sql",
                                  SLUICE_CLOCK, assignments, event);
    return db_.Retrying([&] { return db_.Run(sql, params).Int(0, 0) > 0; });
  }

  static PgParams CompletionParams(std::span<const Completion> completions) {
    std::vector<LeaseRef> refs;
    std::vector<std::string> manifests;
    for (const Completion& c : completions) {
      refs.push_back(c.lease);
      manifests.push_back(c.output_manifest_json);
    }
    auto [ids, attempts] = Split(refs);
    PgParams params;
    params.AddArray(ids).AddArray(attempts).AddArray(manifests);
    return params;
  }

  // One outcome per completion from the rows kCompleteSql returned.
  std::vector<TransitionResult> CompletionOutcomes(std::span<const Completion> completions,
                                                   const PgResult& r) {
    std::vector<LeaseRef> refs;
    for (const Completion& c : completions) refs.push_back(c.lease);
    std::vector<TransitionResult> out(completions.size(), TransitionResult::kConflict);
    std::map<std::pair<int64_t, int64_t>, bool> applied;
    for (int i = 0; i < r.rows(); ++i) applied[{r.Int(i, 0), r.Int(i, 1)}] = true;
    std::vector<size_t> unresolved;
    for (size_t i = 0; i < refs.size(); ++i) {
      if (applied.contains({refs[i].partition_id, refs[i].attempt})) {
        out[i] = TransitionResult::kApplied;
      } else {
        unresolved.push_back(i);
      }
    }
    // A completion that matched nothing is still applied when this same attempt already
    // completed the partition (a call repeated after a lost reply).
    if (!unresolved.empty()) {
      std::map<int64_t, std::pair<std::string, int64_t>> state = States(refs, unresolved);
      for (size_t i : unresolved) {
        auto it = state.find(refs[i].partition_id);
        if (it != state.end() && it->second.first == "done" &&
            it->second.second == refs[i].attempt) {
          out[i] = TransitionResult::kApplied;
        }
      }
    }
    return out;
  }

  static std::pair<std::vector<int64_t>, std::vector<int64_t>> Split(
      std::span<const LeaseRef> leases) {
    std::vector<int64_t> ids, attempts;
    for (const LeaseRef& lease : leases) {
      ids.push_back(lease.partition_id);
      attempts.push_back(lease.attempt);
    }
    return {std::move(ids), std::move(attempts)};
  }

  // partition id -> (status, attempt) for the given entries of `refs`.
  std::map<int64_t, std::pair<std::string, int64_t>> States(std::span<const LeaseRef> refs,
                                                            std::span<const size_t> which) {
    std::vector<int64_t> ids;
    for (size_t i : which) ids.push_back(refs[i].partition_id);
    PgParams params;
    params.AddArray(ids);
    PgResult r = db_.Retrying([&] {
      return db_.Run("SELECT id, status, attempt FROM partitions WHERE id = ANY($1::bigint[])",
                     params);
    });
    std::map<int64_t, std::pair<std::string, int64_t>> out;
    for (int i = 0; i < r.rows(); ++i) out[r.Int(i, 0)] = {r.Text(i, 1), r.Int(i, 2)};
    return out;
  }

  // See SqliteLedger::RepeatStatus: the status this same attempt already moved the partition to.
  std::optional<PartitionStatus> RepeatStatus(const LeaseRef& lease,
                                              std::initializer_list<std::string_view> statuses) {
    size_t only = 0;
    auto state = States(std::span(&lease, 1), std::span(&only, 1));
    auto it = state.find(lease.partition_id);
    if (it == state.end() || it->second.second != lease.attempt) return std::nullopt;
    for (std::string_view s : statuses) {
      if (s == it->second.first) return ParsePartitionStatus(s);
    }
    return std::nullopt;
  }

  PostgresConnection db_;
};

#undef SLUICE_CLOCK

}  // namespace

std::unique_ptr<Ledger> OpenPostgresLedger(const std::string& conninfo,
                                           const LedgerOptions& options) {
  return std::make_unique<PostgresLedger>(conninfo, options);
}

}  // namespace sluice::ledger
