// The PostgreSQL ledger's claim: fail leases that expired on their last attempt, then hand out
// expired leases (their worker is presumed dead) and pending partitions in creation order, each
// with attempt + 1, logging every transition. Without resource limits it is one statement that
// locks rows with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait for each other. With
// limits it is one transaction that first locks the job's row, so that the count of units held by
// running partitions cannot change under it (a single statement's snapshot would predate the lock).
//
// Thread safety: none; the caller owns the connection (PostgresLedger holds its Ledger mutex).
// Both are safe to repeat inside PostgresConnection::Retrying.
#pragma once

#include <vector>

#include "sluice/ledger/ledger_records.h"
#include "sluice/ledger/postgres_connection.h"

namespace sluice::ledger::internal {

std::vector<Lease> ClaimUnlimited(PostgresConnection& db, JobId job, const ClaimRequest& request);
std::vector<Lease> ClaimWithinLimits(PostgresConnection& db, JobId job,
                                     const ClaimRequest& request);

}  // namespace sluice::ledger::internal
