#include "sluice/jobs/lease_table.h"

#include <gtest/gtest.h>

namespace sluice::jobs {
namespace {

using std::chrono::milliseconds;
using Clock = LeaseTable::Clock;

ledger::Lease MakeLease(ledger::PartitionId id, int64_t attempt = 1) {
  ledger::Lease lease;
  lease.partition_id = id;
  lease.attempt = attempt;
  lease.key = "p" + std::to_string(id);
  return lease;
}

std::vector<ledger::Lease> Leases(std::initializer_list<ledger::PartitionId> ids) {
  std::vector<ledger::Lease> out;
  for (ledger::PartitionId id : ids) out.push_back(MakeLease(id));
  return out;
}

const ledger::Duration kLease = milliseconds(30'000);
const Clock::duration kMargin = milliseconds(5'000);

TEST(LeaseTableTest, StartsQueuedLeasesInClaimOrder) {
  LeaseTable table;
  const Clock::time_point t0 = Clock::now();
  table.Add(Leases({3, 1, 2}), t0 + kLease);
  EXPECT_EQ(table.queued(), 3);
  CancellationSource parent;
  std::vector<ledger::PartitionId> order;
  while (auto next = table.StartNext(parent.token())) order.push_back(next->first.partition_id);
  EXPECT_EQ(order, (std::vector<ledger::PartitionId>{3, 1, 2}));
  EXPECT_EQ(table.queued(), 0);
  EXPECT_FALSE(table.empty());  // running leases stay held until erased
  EXPECT_EQ(table.Renewable().size(), 3u);
}

TEST(LeaseTableTest, ARenewalMovesTheDeadlineAndARefusalCancelsTheRunningTask) {
  LeaseTable table;
  const Clock::time_point t0 = Clock::now();
  table.Add(Leases({1, 2}), t0 + kLease);
  CancellationSource parent;
  auto first = table.StartNext(parent.token());
  auto second = table.StartNext(parent.token());
  const std::vector<ledger::LeaseRef> refs = table.Renewable();
  std::vector<std::optional<ledger::Timestamp>> answers(2);
  answers[0] = ledger::Timestamp(milliseconds(1));  // renewed
  // answers[1] refused: another worker took the partition over
  table.ApplyHeartbeat(refs, answers, t0, t0, kLease, kMargin);
  EXPECT_FALSE(first->second->cancelled());
  EXPECT_TRUE(second->second->cancelled());
  EXPECT_FALSE(table.Lost(LeaseTable::KeyOf(refs[0])));
  EXPECT_TRUE(table.Lost(LeaseTable::KeyOf(refs[1])));
  // A lost lease is not renewed again.
  ASSERT_EQ(table.Renewable().size(), 1u);
  EXPECT_EQ(table.Renewable()[0].partition_id, 1);
}

TEST(LeaseTableTest, AFailedHeartbeatGivesUpOnlyLeasesAboutToExpire) {
  LeaseTable table;
  const Clock::time_point t0 = Clock::now();
  table.Add(Leases({1}), t0 + kLease);
  CancellationSource parent;
  auto running = table.StartNext(parent.token());
  const std::vector<ledger::LeaseRef> refs = table.Renewable();
  // Far from the deadline: kept, the next heartbeat may get through.
  table.ApplyHeartbeat(refs, std::nullopt, t0, t0 + milliseconds(10'000), kLease, kMargin);
  EXPECT_FALSE(running->second->cancelled());
  // Within the margin of the deadline: given up before the ledger hands it to someone else.
  table.ApplyHeartbeat(refs, std::nullopt, t0, t0 + milliseconds(26'000), kLease, kMargin);
  EXPECT_TRUE(running->second->cancelled());
  EXPECT_TRUE(table.Lost(LeaseTable::KeyOf(refs[0])));
}

TEST(LeaseTableTest, AQueuedLeaseThatIsLostIsDroppedAndCounted) {
  LeaseTable table;
  const Clock::time_point t0 = Clock::now();
  table.Add(Leases({1, 2}), t0 + kLease);
  const std::vector<ledger::LeaseRef> refs = table.Renewable();
  std::vector<std::optional<ledger::Timestamp>> refused(2);
  refused[1] = ledger::Timestamp(milliseconds(1));
  table.ApplyHeartbeat(refs, refused, t0, t0, kLease, kMargin);
  EXPECT_EQ(table.lost_queued(), 1);
  EXPECT_EQ(table.queued(), 1);
  CancellationSource parent;
  auto next = table.StartNext(parent.token());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->first.partition_id, 2);
  EXPECT_FALSE(table.StartNext(parent.token()).has_value());
}

TEST(LeaseTableTest, TakeAllEmptiesTheTableForRelease) {
  LeaseTable table;
  table.Add(Leases({1, 2}), Clock::now() + kLease);
  CancellationSource parent;
  auto running = table.StartNext(parent.token());
  table.CancelRunning("worker stopping");
  EXPECT_TRUE(running->second->cancelled());
  EXPECT_EQ(table.TakeAll().size(), 2u);
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.queued(), 0);
}

TEST(LeaseTableTest, ANewAttemptOfALostPartitionIsHeldApart) {
  LeaseTable table;
  const Clock::time_point t0 = Clock::now();
  table.Add({MakeLease(7, 1)}, t0 + kLease);
  CancellationSource parent;
  auto old_attempt = table.StartNext(parent.token());
  table.ApplyHeartbeat(table.Renewable(), std::vector<std::optional<ledger::Timestamp>>(1), t0, t0,
                       kLease, kMargin);
  table.Add({MakeLease(7, 2)}, t0 + kLease);
  EXPECT_TRUE(table.Lost({7, 1}));
  EXPECT_FALSE(table.Lost({7, 2}));
  table.Erase({7, 1});
  ASSERT_EQ(table.Renewable().size(), 1u);
  EXPECT_EQ(table.Renewable()[0].attempt, 2);
}

}  // namespace
}  // namespace sluice::jobs
