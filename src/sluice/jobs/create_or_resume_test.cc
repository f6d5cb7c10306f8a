// Creating, resuming, refusing and passing over jobs of one name, against SQLite.
#include "sluice/jobs/create_or_resume.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

using CreateOrResumeTest = SqliteLedgerFixture;

TEST_F(CreateOrResumeTest, CreatesOnceThenResumesAndReopensAFinishedJob) {
  int checks = 0;
  auto same = [&](const ledger::JobRecord& existing) {
    ++checks;
    EXPECT_EQ(existing.options_json, R"({"a":1})");
    return ExistingJob::kResume;
  };
  OpenedJob created = CreateOrResumeJob(*ledger_, "job", R"({"a":1})", same);
  EXPECT_FALSE(created.resumed);
  EXPECT_EQ(checks, 0);
  ledger_->FinishJob(created.record.id, ledger::JobStatus::kFailed, "{}");

  OpenedJob resumed = CreateOrResumeJob(*ledger_, "job", R"({"a":2})", same);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(checks, 1);
  EXPECT_EQ(resumed.record.id, created.record.id);
  EXPECT_EQ(resumed.record.status, ledger::JobStatus::kRunning);
  EXPECT_EQ(resumed.record.options_json, R"({"a":1})");  // the stored options are kept
}

TEST_F(CreateOrResumeTest, ACheckThatThrowsRefusesAndWritesNothing) {
  CreateOrResumeJob(*ledger_, "job", "{}", nullptr);
  auto refuse = [](const ledger::JobRecord&) -> ExistingJob {
    throw InvalidArgument("other work");
  };
  EXPECT_THROW(CreateOrResumeJob(*ledger_, "job", "{}", refuse), Error);
  EXPECT_EQ(ledger_->ListJobs().size(), 1u);
}

TEST_F(CreateOrResumeTest, PassedOverJobsLeadToTheNextFreeOrResumableName) {
  CreateOrResumeJob(*ledger_, "job", "{}", nullptr);
  CreateOrResumeJob(*ledger_, "job #2", "{}", nullptr);
  auto only_third = [](const ledger::JobRecord& existing) {
    return existing.name == "job #3" ? ExistingJob::kResume : ExistingJob::kUseNextName;
  };
  OpenedJob third = CreateOrResumeJob(*ledger_, "job", "{}", only_third);
  EXPECT_FALSE(third.resumed);
  EXPECT_EQ(third.record.name, "job #3");
  OpenedJob again = CreateOrResumeJob(*ledger_, "job", "{}", only_third);
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.record.id, third.record.id);
}

}  // namespace
}  // namespace sluice::jobs
