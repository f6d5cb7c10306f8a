// The SQLite ledger: the embedded default, one database file (normally <state dir>/ledger.db)
// shared by the worker processes of one machine. WAL mode, so readers never block the writer;
// every writing call is one BEGIN IMMEDIATE transaction, so writers queue on the lock (with the
// busy timeout) instead of failing half-way; no transaction outlives a call. Times come from
// SQLite's clock (this machine's).
//
// Thread safety: as Ledger (ledger.h).
#pragma once

#include <filesystem>
#include <memory>

#include "sluice/ledger/ledger.h"

namespace sluice::ledger {

// Opens the database at `path`, creating its directory, the file and the schema as needed, and
// migrating an older schema. Io error naming the path when the directory or file cannot be
// created or opened; NotSupported when the file was written by a newer sluice.
std::unique_ptr<Ledger> OpenSqliteLedger(const std::filesystem::path& path,
                                         const LedgerOptions& options = {});

}  // namespace sluice::ledger
