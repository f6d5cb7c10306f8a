// The PostgreSQL ledger's claim: fail leases that expired on their last attempt, then hand out
// expired leases (their worker is presumed dead) and pending partitions in creation order, each
// with attempt + 1, logging every transition. Without resource limits it is one statement that
// locks rows with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait for each other. With
// limits it is one transaction that first locks the job's row, so that the count of units held by
// running partitions cannot change under it (a single statement's snapshot would predate the lock).
//
// Thread safety: none; the caller owns the connection (PostgresLedger holds its Ledger mutex).
// Both are safe to repeat inside PostgresConnection::Retrying. ClaimUnlimited may run inside a
// transaction (InTransaction); ClaimWithinLimits runs its own.
#pragma once

#include <vector>

#include "sluice/ledger/ledger_records.h"
#include "sluice/ledger/postgres_connection.h"

namespace sluice::ledger::internal {

// Runs fn between BEGIN and COMMIT; rolls back when it throws, so the connection stays usable
// (or is found broken by the next Retrying round).
template <typename F>
auto InTransaction(PostgresConnection& db, F&& fn) {
  db.Exec("BEGIN");
  try {
    auto result = fn();
    db.Exec("COMMIT");
    return result;
  } catch (...) {
    try {
      db.Exec("ROLLBACK");
    } catch (const Error&) {
      // The connection is gone; the server rolled back already.
    }
    throw;
  }
}

std::vector<Lease> ClaimUnlimited(PostgresConnection& db, JobId job, const ClaimRequest& request);
std::vector<Lease> ClaimWithinLimits(PostgresConnection& db, JobId job,
                                     const ClaimRequest& request);

}  // namespace sluice::ledger::internal
