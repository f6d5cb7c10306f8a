// The verdict: which stage limited the run, which were starved and which backed up.
//
// Flink's rule: backpressure flows upstream from the bottleneck, so the bottleneck is the first
// stage downstream of the backpressured ones that is itself busy and not backpressured. With no
// backpressured stage, it is the busiest stage if that one was busy most of the time (typically
// the source); otherwise no stage limited the run.
//
// Thread safety: pure function.
#pragma once

#include <vector>

#include "sluice/flow/run_report.h"

namespace sluice {

// Fractions at or above these mark a stage as backpressured, starved or busy.
inline constexpr double kVerdictBackpressured = 0.3;
inline constexpr double kVerdictStarved = 0.3;
inline constexpr double kVerdictBusy = 0.5;

Verdict ComputeVerdict(const std::vector<StageReport>& stages);

}  // namespace sluice
