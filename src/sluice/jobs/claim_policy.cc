#include "sluice/jobs/claim_policy.h"

#include <algorithm>
#include <cmath>

namespace sluice::jobs {

int64_t ClaimPolicy::Prefetch() const {
  if (resource_limits || !task_seconds) return 0;
  double round = claim_seconds + complete_seconds;
  double per_round = slots * round / std::max(*task_seconds, 1e-6);
  return std::min<int64_t>(claim_batch - 1, static_cast<int64_t>(std::ceil(per_round)));
}

int64_t ClaimPolicy::ToClaim(int64_t running, int64_t queued) const {
  int64_t target = slots + Prefetch();
  int64_t want = target - running - queued;
  if (want <= 0 || want * 2 < target) return 0;
  return std::min(want, std::max<int64_t>(claim_batch, slots));
}

bool ClaimPolicy::CompleteNow(int64_t finished, int64_t running, int64_t queued,
                              bool waited) const {
  if (finished == 0) return false;
  return finished >= std::min<int64_t>(claim_batch, slots + Prefetch()) ||
         (running == 0 && queued == 0) || waited;
}

}  // namespace sluice::jobs
