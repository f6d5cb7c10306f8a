// The JSON report of a group-by: the scan's and the merge's run reports plus what the shuffle
// decided and measured (partition counts, spill, coalesced merge tasks, skew), for --report.
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "sluice/ops/group_by.h"

namespace sluice {

nlohmann::json GroupByReportJson(const GroupByResult& result);

}  // namespace sluice
