// FollowJob: follows a ledger job from anywhere until it leaves the running state, printing a
// progress line when its counts move (and at least once a minute), for `sluice wait` and
// `sluice slurm`.
//
// Thread safety: call from one thread; `each_turn` runs on it.
#pragma once

#include <functional>
#include <optional>

#include "sluice/base/cancellation.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {

struct FollowOptions {
  double interval_seconds = 1;  // between looks at the ledger
  double timeout_seconds = 0;   // 0: no limit
};

// The job's record once it is done, failed or cancelled; nullopt when the timeout passed first.
// `each_turn` runs after every look while the job runs (it may throw to stop following);
// Cancelled when `cancel` fires.
std::optional<ledger::JobRecord> FollowJob(ledger::Ledger& ledger, ledger::JobId id,
                                           const FollowOptions& options,
                                           const CancellationToken& cancel,
                                           const std::function<void()>& each_turn = {});

}  // namespace sluice::cli
