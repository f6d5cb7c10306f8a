// The feeder's listing beside the caller, and a failing listing stopping the job, against SQLite.
#include "sluice/jobs/partition_feeder.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/jobs/list_partitioner.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

class FailingPartitioner : public Partitioner {
 public:
  std::string Describe() const override { return "failing"; }
  std::set<std::string, std::less<>> Fields() const override { return {}; }
  void Generate(const std::function<void(ledger::PartitionSpec)>& emit) override {
    emit({"first"});
    throw IoError("the listing broke");
  }
};

class PartitionFeederTest : public SqliteLedgerFixture {
 protected:
  void SetUp() override {
    SqliteLedgerFixture::SetUp();
    job_ = ledger_->CreateJob("job").id;
  }

  ledger::JobId job_ = 0;
};

TEST_F(PartitionFeederTest, ListsEveryPartitionAndSealsTheJob) {
  ListPartitioner partitioner({"a", "b", "c"});
  CancellationSource stop;
  PartitionFeeder feeder(url_, {}, job_, partitioner, {.max_attempts = 5}, stop);
  FeedResult fed = feeder.Finish();
  EXPECT_EQ(fed.listed, 3);
  EXPECT_EQ(fed.added, 3);
  EXPECT_FALSE(stop.token().cancelled());
  EXPECT_TRUE(ledger_->GetJob(job_).sealed);
  for (const ledger::PartitionRecord& p : ledger_->ListPartitions(job_)) {
    EXPECT_EQ(p.max_attempts, 5);
  }
}

TEST_F(PartitionFeederTest, AFailedListingCancelsTheJobAndIsRethrown) {
  FailingPartitioner partitioner;
  CancellationSource stop;
  PartitionFeeder feeder(url_, {}, job_, partitioner, {}, stop);
  try {
    feeder.Finish();
    FAIL() << "the listing's error was not rethrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
  }
  EXPECT_EQ(stop.token().reason(), "listing partitions failed");
  EXPECT_FALSE(ledger_->GetJob(job_).sealed);
}

}  // namespace
}  // namespace sluice::jobs
