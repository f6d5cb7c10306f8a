// What the two SQL backends share about their tables: the column lists they select, in the
// order their row readers expect, the conversion of stored epoch milliseconds to Timestamps, and
// the resource tag a running partition carries.
//
// Thread safety: constants and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

// The resources a claimed partition holds, as stored in partitions.resources: ",a,b," (names
// sorted), so that `instr(resources, ',a,')` / `strpos(...)` finds one; nullopt for none.
std::optional<std::string> ResourceTag(std::span<const ResourceLimit> resources);
// ",name," as searched for in a tag.
inline std::string ResourceNeedle(std::string_view name) { return "," + std::string(name) + ","; }
// Whether a stored tag holds every one of `resources`.
bool TagHoldsAll(std::string_view tag, std::span<const ResourceLimit> resources);

}  // namespace sluice::ledger::internal
