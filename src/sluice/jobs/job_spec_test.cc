// The job spec envelope: kind and version stamped, read back, and another version refused (also
// when a command resumes the job).
#include "sluice/jobs/job_spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

ledger::JobRecord Record(std::string options_json) {
  ledger::JobRecord job;
  job.name = "nightly";
  job.options_json = std::move(options_json);
  return job;
}

TEST(JobSpecTest, StampsKindAndVersionBesideTheFields) {
  nlohmann::json j = nlohmann::json::parse(StampJobSpec("compact", R"({"source":"in"})"));
  EXPECT_EQ(j["kind"], "compact");
  EXPECT_EQ(j["sluice_version"], std::string(SluiceVersion()));
  EXPECT_EQ(j["source"], "in");
  EXPECT_FALSE(SluiceVersion().empty());
}

TEST(JobSpecTest, KindOfAJobWithoutAnEnvelopeIsEmpty) {
  EXPECT_EQ(JobKindOf(Record(StampJobSpec("run", "{}"))), "run");
  EXPECT_EQ(JobKindOf(Record(R"({"command":["true"]})")), "");
  EXPECT_EQ(JobKindOf(Record("not json")), "");
  EXPECT_EQ(JobKindOf(Record(R"([1,2])")), "");
}

TEST(JobSpecTest, AnotherVersionIsRefusedNamingBoth) {
  EXPECT_NO_THROW(CheckJobVersion(Record(StampJobSpec("run", "{}"))));
  EXPECT_NO_THROW(CheckJobVersion(Record("{}")));  // created before versions were stored
  try {
    CheckJobVersion(Record(R"({"kind":"run","sluice_version":"0.0.1-old"})"));
    FAIL() << "another version was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("0.0.1-old"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::string(SluiceVersion())), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("nightly"), std::string::npos) << e.what();
  }
}

using JobSpecLedgerTest = SqliteLedgerFixture;

TEST_F(JobSpecLedgerTest, ResumingAJobOfAnotherVersionIsRefusedBeforeTheCheck) {
  ledger_->CreateJob("old", R"({"kind":"run","sluice_version":"0.0.1-old"})");
  bool checked = false;
  auto check = [&](const ledger::JobRecord&) {
    checked = true;
    return ExistingJob::kResume;
  };
  EXPECT_THROW(CreateOrResumeJob(*ledger_, "old", StampJobSpec("run", "{}"), check), Error);
  EXPECT_FALSE(checked);
}

}  // namespace
}  // namespace sluice::jobs
