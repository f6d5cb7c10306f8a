// The PostgreSQL ledger: shared by workers on many machines. Claims lock candidate rows with
// FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on each other nor get the same
// partition; each call is one statement or one short transaction, sent with prepared statements
// and array parameters so a batch costs one round trip. Times come from the server's clock. The
// schema (tables in the connection's current schema) is created and migrated by sluice under an
// advisory lock, and its version kept in sluice_schema_version. A lost connection is re-opened
// by the next call (for up to LedgerOptions::reconnect_timeout), and the call is re-run: every
// operation is safe to repeat.
//
// Thread safety: as Ledger (ledger.h).
#pragma once

#include <memory>
#include <string>

#include "sluice/ledger/ledger.h"

namespace sluice::ledger {

// `conninfo` is a libpq URL or keyword string. Io error when the server cannot be reached within
// the reconnect timeout; NotSupported when the schema was written by a newer sluice.
std::unique_ptr<Ledger> OpenPostgresLedger(const std::string& conninfo,
                                           const LedgerOptions& options = {});

}  // namespace sluice::ledger
