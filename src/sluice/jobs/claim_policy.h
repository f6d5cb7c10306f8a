// ClaimPolicy: how many partitions the worker loop (worker.h) claims and when it completes the
// finished ones, as arithmetic over what the worker observes, so that the policy is tested
// without threads or a ledger.
//
// A worker holds enough partitions for its free slots plus a prefetch: what its slots finish
// during one claim and one completion round trip, so that quick partitions come in batches of up
// to claim_batch per transaction while slow ones are claimed only as slots free up (a crash then
// charges attempts almost only to partitions that had started). It claims only once its queue ran
// below half of that. Finished partitions are completed together once enough gathered, when
// nothing else is running or queued to join them, or when the first has waited long enough.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>

namespace sluice::jobs {

struct ClaimPolicy {
  int slots = 1;
  int64_t claim_batch = 64;
  bool resource_limits = false;  // a queued lease would hold units it does not use

  // Moving averages of what the worker measured; the task's is unknown until one finished.
  std::optional<double> task_seconds;
  double claim_seconds = 0;
  double complete_seconds = 0;

  // Partitions to hold beyond the free slots. None before the first task finished, none with
  // resource limits, none with claim_batch 1.
  int64_t Prefetch() const;
  // Partitions to claim now, given those running and those claimed but not started.
  int64_t ToClaim(int64_t running, int64_t queued) const;
  // Whether the `finished` partitions waiting for completion go to the ledger now. `waited`: the
  // first of them finished at least completion_delay ago.
  bool CompleteNow(int64_t finished, int64_t running, int64_t queued, bool waited) const;
};

}  // namespace sluice::jobs
