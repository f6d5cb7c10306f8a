// What the two SQL backends share about their tables: the column lists they select, in the
// order their row readers expect, and the conversion of stored epoch milliseconds to Timestamps.
//
// Thread safety: constants and pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "sluice/ledger/ledger_records.h"

namespace sluice::ledger::internal {

inline constexpr const char* kJobColumns =
    "id, name, status, sealed, created_at, finished_at, options, summary";
inline constexpr const char* kPartitionColumns =
    "id, job_id, key, definition, status, attempt, attempts_used, max_attempts, lease_owner, "
    "lease_expires_at, heartbeat_at, not_before, created_at, started_at, finished_at, error, "
    "output_manifest";

inline Timestamp ToTime(int64_t ms) { return Timestamp(Duration(ms)); }
inline std::optional<Timestamp> ToTime(std::optional<int64_t> ms) {
  if (!ms) return std::nullopt;
  return ToTime(*ms);
}

}  // namespace sluice::ledger::internal
