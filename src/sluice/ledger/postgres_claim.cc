#include <algorithm>
#include <string>

#include "sluice/ledger/ledger_columns_internal.h"
#include "sluice/ledger/postgres_claim_internal.h"

namespace sluice::ledger::internal {
namespace {

// The server's clock, fixed for the statement's transaction.
#define SLUICE_CLOCK "clock AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS ms)"

// Running partitions whose lease expired after their last allowed attempt fail instead of being
// claimed again: their worker died or hung on every attempt.
constexpr const char* kFailExhausted = "WITH " SLUICE_CLOCK R"sql(,
exhausted AS (
  UPDATE partitions p SET status = 'failed', finished_at = clock.ms, lease_expires_at = NULL,
    error = format('lease of attempt %s expired: worker %s presumed dead or hung '
                   '(%s of %s attempts used)', p.attempt, p.lease_owner, p.attempts_used,
                   p.max_attempts)
  FROM clock
  WHERE p.job_id = $1::bigint AND p.status = 'running' AND p.lease_expires_at <= clock.ms
    AND p.attempts_used >= p.max_attempts
  RETURNING p.id, p.attempt, clock.ms),
exhausted_logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT $1::bigint, id, attempt, 'failed', '{"error":"lease expired","final":true}', ms
  FROM exhausted))sql"
                                       R"sql(
SELECT count(*) FROM exhausted)sql";

std::vector<Lease> ReadLeases(const PgResult& r, JobId job) {
  std::vector<Lease> leases;
  leases.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    leases.push_back(
        {r.Int(i, 0), r.Int(i, 1), job, r.Text(i, 2), r.Text(i, 3), ToTime(r.Int(i, 4))});
  }
  return leases;
}

}  // namespace

std::vector<Lease> ClaimUnlimited(PostgresConnection& db, JobId job, const ClaimRequest& request) {
  PgParams params;
  params.Add(job).Add(request.owner).Add(request.lease.count()).Add(request.max_partitions);
  PgResult r = db.Run(R"sql(
WITH )sql" SLUICE_CLOCK R"sql(,
exhausted AS (
  UPDATE partitions p SET status = 'failed', finished_at = clock.ms, lease_expires_at = NULL,
    error = format('lease of attempt %s expired: worker %s presumed dead or hung '
                   '(%s of %s attempts used)', p.attempt, p.lease_owner, p.attempts_used,
                   p.max_attempts)
  FROM clock
  WHERE p.job_id = $1::bigint AND p.status = 'running' AND p.lease_expires_at <= clock.ms
    AND p.attempts_used >= p.max_attempts
  RETURNING p.id, p.attempt, clock.ms),
exhausted_logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT $1::bigint, id, attempt, 'failed', '{"error":"lease expired","final":true}', ms
  FROM exhausted),
expired AS (
  SELECT p.id, p.lease_owner AS previous_owner FROM partitions p, clock
  WHERE p.job_id = $1::bigint AND p.status = 'running' AND p.lease_expires_at <= clock.ms
    AND p.attempts_used < p.max_attempts
  ORDER BY p.lease_expires_at LIMIT $4::bigint FOR UPDATE OF p SKIP LOCKED),
pending AS (
  SELECT p.id, NULL::text AS previous_owner FROM partitions p, clock
  WHERE p.job_id = $1::bigint AND p.status = 'pending'
    AND (p.not_before IS NULL OR p.not_before <= clock.ms)
  ORDER BY p.id LIMIT greatest($4::bigint - (SELECT count(*) FROM expired), 0)
  FOR UPDATE OF p SKIP LOCKED),
candidates AS (SELECT * FROM expired UNION ALL SELECT * FROM pending),
claimed AS (
  UPDATE partitions p SET status = 'running', attempt = p.attempt + 1,
    attempts_used = p.attempts_used + 1, lease_owner = $2::text,
    lease_expires_at = clock.ms + $3::bigint, heartbeat_at = clock.ms, started_at = clock.ms,
    not_before = NULL, resources = NULL
  FROM candidates c, clock WHERE p.id = c.id
  RETURNING p.id, p.attempt, p.key, p.definition, p.lease_expires_at, c.previous_owner,
            clock.ms),
claimed_logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT $1::bigint, id, attempt, 'claimed',
         json_strip_nulls(json_build_object('owner', $2::text,
                                            'reclaimed_from', previous_owner))::text, ms
  FROM claimed)
SELECT id, attempt, key, definition, lease_expires_at FROM claimed ORDER BY id)sql",
                      params);
  return ReadLeases(r, job);
}

std::vector<Lease> ClaimWithinLimits(PostgresConnection& db, JobId job,
                                     const ClaimRequest& request) {
  return InTransaction(db, [&]() -> std::vector<Lease> {
    // FOR NO KEY UPDATE serializes limited claims of this job without blocking the inserts of
    // partitions (their foreign key takes KEY SHARE). The clock is the transaction's start.
    PgResult locked = db.Run(
        "SELECT (extract(epoch FROM now()) * 1000)::bigint FROM jobs WHERE id = $1::bigint "
        "FOR NO KEY UPDATE",
        PgParams().Add(job));
    if (locked.rows() == 0) return {};  // no such job; Ledger::Claim reports it
    int64_t now = locked.Int(0, 0);
    db.Run(kFailExhausted, PgParams().Add(job));

    std::vector<std::string> names;
    std::vector<int64_t> limits;
    for (const ResourceLimit& limit : request.resources) {
      names.push_back(limit.name);
      limits.push_back(limit.limit);
    }
    PgParams count_params;
    count_params.Add(job).AddArray(names).AddArray(limits);
    PgResult free_units = db.Run(R"sql(
SELECT coalesce(min(greatest(t.lim - (
  SELECT count(*) FROM partitions p WHERE p.job_id = $1::bigint AND p.status = 'running'
    AND strpos(p.resources, ',' || t.name || ',') > 0), 0)), 0)
FROM unnest($2::text[], $3::bigint[]) AS t(name, lim))sql",
                                 count_params);
    int64_t capacity = std::min(request.max_partitions, free_units.Int(0, 0));

    // Expired leases first; one that already holds the units hands them over.
    std::vector<int64_t> ids;
    std::vector<std::string> previous_owners;
    PgResult expired = db.Run(R"sql(
SELECT id, lease_owner, coalesce(resources, '') FROM partitions
WHERE job_id = $1::bigint AND status = 'running' AND lease_expires_at <= $2::bigint
  AND attempts_used < max_attempts
ORDER BY lease_expires_at LIMIT $3::bigint FOR UPDATE SKIP LOCKED)sql",
                              PgParams().Add(job).Add(now).Add(request.max_partitions));
    for (int i = 0; i < expired.rows(); ++i) {
      if (!TagHoldsAll(expired.Text(i, 2), request.resources)) {
        if (capacity == 0) continue;
        --capacity;
      }
      ids.push_back(expired.Int(i, 0));
      previous_owners.push_back(expired.Text(i, 1));
    }
    int64_t room = std::min(request.max_partitions - static_cast<int64_t>(ids.size()), capacity);
    if (room > 0) {
      PgResult pending = db.Run(R"sql(
SELECT id FROM partitions
WHERE job_id = $1::bigint AND status = 'pending' AND (not_before IS NULL OR not_before <= $2::bigint)
ORDER BY id LIMIT $3::bigint FOR UPDATE SKIP LOCKED)sql",
                                PgParams().Add(job).Add(now).Add(room));
      for (int i = 0; i < pending.rows(); ++i) {
        ids.push_back(pending.Int(i, 0));
        previous_owners.emplace_back();  // "" becomes NULL below
      }
    }
    if (ids.empty()) return {};
    PgParams params;
    params.Add(job).Add(request.owner).Add(request.lease.count()).Add(now);
    params.AddArray(ids).AddArray(previous_owners).Add(*ResourceTag(request.resources));
    PgResult r = db.Run(R"sql(
WITH candidates AS (
  SELECT * FROM unnest($5::bigint[], $6::text[]) AS t(id, previous_owner)),
claimed AS (
  UPDATE partitions p SET status = 'running', attempt = p.attempt + 1,
    attempts_used = p.attempts_used + 1, lease_owner = $2::text,
    lease_expires_at = $4::bigint + $3::bigint, heartbeat_at = $4::bigint,
    started_at = $4::bigint, not_before = NULL, resources = $7::text
  FROM candidates c WHERE p.id = c.id
  RETURNING p.id, p.attempt, p.key, p.definition, p.lease_expires_at,
            nullif(c.previous_owner, '') AS previous_owner),
claimed_logged AS (
  INSERT INTO events(job_id, partition_id, attempt, kind, detail, at)
  SELECT $1::bigint, id, attempt, 'claimed',
         json_strip_nulls(json_build_object('owner', $2::text,
                                            'reclaimed_from', previous_owner))::text, $4::bigint
  FROM claimed)
SELECT id, attempt, key, definition, lease_expires_at FROM claimed ORDER BY id)sql",
                        params);
    return ReadLeases(r, job);
  });
}

#undef SLUICE_CLOCK

}  // namespace sluice::ledger::internal
