// A job's status report from the ledger, as JSON and as a line, against SQLite.
#include "sluice/jobs/job_status.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "sluice/jobs/lease_owner.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

class JobStatusTest : public SqliteLedgerFixture {
 protected:
  ledger::JobRecord JobOf(int partitions) {
    ledger::JobRecord job = ledger_->CreateJob("job");
    std::vector<ledger::PartitionSpec> specs;
    for (int i = 0; i < partitions; ++i) specs.push_back({"p" + std::to_string(i)});
    ledger_->AddPartitions(job.id, specs);
    return job;
  }
};

TEST_F(JobStatusTest, CountsLeasesPerWorkerAndTheSameJsonKeysAsEver) {
  ledger::JobRecord job = JobOf(5);
  auto a = ledger_->Claim(job.id, {.owner = "a", .max_partitions = 2});
  ledger_->Claim(job.id, {.owner = "b", .max_partitions = 1});
  ledger_->Complete({a[0].partition_id, a[0].attempt}, "{}");

  JobStatusReport brief = ReadJobStatus(*ledger_, job, false);
  EXPECT_FALSE(brief.detail);
  EXPECT_TRUE(brief.leases.empty());
  nlohmann::json j = brief.ToJson();
  EXPECT_EQ(j["job"], "job");
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["sealed"], false);
  EXPECT_EQ(j["done"], 1);
  EXPECT_EQ(j["running"], 2);
  EXPECT_EQ(j["pending"], 2);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["total"], 5);
  EXPECT_EQ(j["retries"], 0);
  EXPECT_GT(j["rate_per_second"].get<double>(), 0);
  EXPECT_TRUE(j.contains("eta_seconds"));
  EXPECT_FALSE(j.contains("leases"));
  EXPECT_NE(brief.Line().find("done 1 running 2 pending 2 failed 0 of 5+ (still listing)"),
            std::string::npos)
      << brief.Line();

  JobStatusReport detail = ReadJobStatus(*ledger_, job, true);
  ASSERT_EQ(detail.leases.size(), 2u);
  EXPECT_EQ(detail.leases["a"].size(), 1u);
  EXPECT_EQ(detail.leases["b"].size(), 1u);
  EXPECT_GT(detail.leases["b"][0].expires_in_ms, 0);
  nlohmann::json d = detail.ToJson();
  EXPECT_EQ(d["leases"]["b"][0]["attempt"], 1);
  EXPECT_EQ(d["summary"], nlohmann::json::parse(job.summary_json));  // "{}" while running
}

// Leases of a process of this host that has exited: the job is interrupted until a resume.
TEST_F(JobStatusTest, LeasesOfProcessesThatAreGoneMarkTheJobInterrupted) {
  ledger::JobRecord job = JobOf(3);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  LeaseOwner gone{LeaseOwner::ThisProcess().host, static_cast<int>(child)};
  ledger_->Claim(job.id, {.owner = gone.ToString(), .max_partitions = 2});
  JobStatusReport report = ReadJobStatus(*ledger_, job, true);
  EXPECT_EQ(report.gone_owners, std::set<std::string>{gone.ToString()});
  EXPECT_TRUE(report.Interrupted());
  EXPECT_EQ(report.ToJson()["interrupted"], true);
  // A live process holding one more partition: not interrupted.
  ledger_->Claim(job.id, {.owner = LeaseOwner::ThisProcess().ToString(), .max_partitions = 1});
  EXPECT_FALSE(ReadJobStatus(*ledger_, job, true).Interrupted());
}

TEST_F(JobStatusTest, AFinishedJobHasNoEtaAndCarriesItsSummary) {
  ledger::JobRecord job = JobOf(0);
  ledger_->SealJob(job.id);
  ledger_->FinishJob(job.id, ledger::JobStatus::kDone, R"({"done": 0})");
  job = ledger_->GetJob(job.id);
  JobStatusReport report = ReadJobStatus(*ledger_, job, true);
  EXPECT_EQ(report.eta_seconds, std::nullopt);
  nlohmann::json j = report.ToJson();
  EXPECT_FALSE(j.contains("eta_seconds"));
  EXPECT_EQ(j["summary"]["done"], 0);
  EXPECT_TRUE(j["leases"].empty());
  EXPECT_EQ(report.Line().find("ETA"), std::string::npos);
}

TEST_F(JobStatusTest, TheReportDocumentHoldsTheDetailedStatusAndEveryAttempt) {
  ledger::JobRecord job = JobOf(2);
  auto a = ledger_->Claim(job.id, {.owner = "host:1:0", .max_partitions = 2});
  ASSERT_EQ(a.size(), 2u);
  ledger_->Complete(a[0].ref(), R"({"bytes": 10})");
  nlohmann::json doc = JobReportJson(*ledger_, job, "status");
  EXPECT_EQ(doc["command"], "status");
  EXPECT_EQ(doc["job"]["job"], "job");
  EXPECT_EQ(doc["job"]["done"], 1);
  EXPECT_EQ(doc["job"]["leases"]["host:1:0"].size(), 1u);
  ASSERT_EQ(doc["tasks"]["attempts"].size(), 2u);
  EXPECT_EQ(doc["tasks"]["attempts"][0]["worker"], "host:1:0");
  EXPECT_EQ(doc["tasks"]["total"], 2);
}

}  // namespace
}  // namespace sluice::jobs
