// The worker's claim and completion sizing as arithmetic, without threads or a ledger.
#include "sluice/jobs/claim_policy.h"

#include <gtest/gtest.h>

namespace sluice::jobs {
namespace {

ClaimPolicy Measured(double task_seconds, double claim_seconds, double complete_seconds) {
  ClaimPolicy policy{.slots = 4, .claim_batch = 64};
  policy.task_seconds = task_seconds;
  policy.claim_seconds = claim_seconds;
  policy.complete_seconds = complete_seconds;
  return policy;
}

TEST(ClaimPolicyTest, BeforeTheFirstTaskFinishedOnlyTheFreeSlotsAreClaimed) {
  const ClaimPolicy policy{.slots = 4, .claim_batch = 64};
  EXPECT_EQ(policy.Prefetch(), 0);
  EXPECT_EQ(policy.ToClaim(0, 0), 4);
  EXPECT_EQ(policy.ToClaim(2, 0), 2);  // half the slots free: claim them
  EXPECT_EQ(policy.ToClaim(3, 0), 0);  // under half free: wait for more to free up
  EXPECT_EQ(policy.ToClaim(2, 2), 0);
}

TEST(ClaimPolicyTest, QuickTasksPrefetchWhatTheSlotsFinishInOneRoundTrip) {
  // 4 slots finishing 1 ms tasks during a 10 ms round trip: 40 more, in batches.
  const ClaimPolicy quick = Measured(0.001, 0.006, 0.004);
  EXPECT_EQ(quick.Prefetch(), 40);
  EXPECT_EQ(quick.ToClaim(0, 0), 44);
  EXPECT_EQ(quick.ToClaim(4, 18), 22);  // the queue ran down to half
  EXPECT_EQ(quick.ToClaim(4, 19), 0);
  // The prefetch never makes a claim larger than claim_batch.
  EXPECT_EQ(Measured(0.0001, 0.006, 0.004).Prefetch(), 63);
  EXPECT_EQ(Measured(0.0001, 0.006, 0.004).ToClaim(0, 0), 64);
  // Slow tasks: about one ahead, so a crash charges attempts almost only to started ones.
  EXPECT_EQ(Measured(0.030, 0.002, 0.002).Prefetch(), 1);
}

TEST(ClaimPolicyTest, ResourceLimitsAndClaimBatchOneHoldNothingAhead) {
  ClaimPolicy limited = Measured(0.001, 0.006, 0.004);
  limited.resource_limits = true;
  EXPECT_EQ(limited.Prefetch(), 0);
  EXPECT_EQ(limited.ToClaim(0, 0), 4);
  ClaimPolicy one = Measured(0.001, 0.006, 0.004);
  one.claim_batch = 1;
  EXPECT_EQ(one.Prefetch(), 0);
  EXPECT_EQ(one.ToClaim(0, 0), 4);  // still one per free slot
}

TEST(ClaimPolicyTest, FinishedPartitionsCompleteTogetherUnlessNothingMoreComes) {
  const ClaimPolicy quick = Measured(0.001, 0.006, 0.004);  // batches of 44
  EXPECT_FALSE(quick.CompleteNow(0, 0, 0, true));
  EXPECT_FALSE(quick.CompleteNow(10, 4, 20, false));
  EXPECT_TRUE(quick.CompleteNow(44, 4, 20, false));  // enough gathered
  EXPECT_TRUE(quick.CompleteNow(10, 4, 20, true));   // the first waited long enough
  EXPECT_TRUE(quick.CompleteNow(10, 0, 0, false));   // nothing else will join them
  EXPECT_FALSE(quick.CompleteNow(10, 0, 1, false));
  ClaimPolicy small_batch = quick;
  small_batch.claim_batch = 8;
  EXPECT_TRUE(small_batch.CompleteNow(8, 4, 20, false));
}

}  // namespace
}  // namespace sluice::jobs
