// `sluice run` and `sluice worker` as library calls, with real commands against SQLite.
#include "sluice/jobs/run/command_job.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sluice/base/error.h"
#include "sluice/jobs/list_partitioner.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

class CommandJobTest : public SqliteLedgerFixture {
 protected:
  CommandJobRequest Request(std::vector<std::string> command) {
    CommandJobRequest request;
    request.name = "letters";
    request.partitioner = std::make_unique<ListPartitioner>(std::vector<std::string>{"a", "b"});
    request.partition_by = "list:a,b";
    request.command = std::move(command);
    request.state_dir = dir_;
    return request;
  }
  static std::vector<std::string> WriteKey() {
    return {"sh", "-c", "echo {key} > {output}/key.txt"};
  }
  WorkerOptions Worker() {
    WorkerOptions worker;
    worker.slots = 2;
    worker.max_idle_poll = std::chrono::milliseconds(10);
    return worker;
  }
  CommandJobResult Run(CommandJobRequest request, std::vector<std::string>* notices = nullptr) {
    CommandJob job(std::move(request));
    return job.Run(url_, Worker(), {}, [&](std::string_view line) {
      if (notices != nullptr) notices->emplace_back(line);
    });
  }
  static std::string Read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

TEST_F(CommandJobTest, RunsTheCommandPerPartitionCommitsItsOutputAndResumes) {
  CommandJobResult first = Run(Request(WriteKey()));
  EXPECT_TRUE(first.succeeded);
  EXPECT_EQ(first.job.status, ledger::JobStatus::kDone);
  EXPECT_EQ(first.fed.listed, 2);
  EXPECT_EQ(first.worker.completed, 2);
  const std::filesystem::path output = dir_ / "output" / "letters";
  EXPECT_EQ(Read(output / "a" / "key.txt"), "a\n");
  EXPECT_EQ(Read(output / "b" / "key.txt"), "b\n");

  std::vector<std::string> notices;
  CommandJobResult again = Run(Request(WriteKey()), &notices);
  EXPECT_TRUE(again.succeeded);
  EXPECT_EQ(again.job.id, first.job.id);
  EXPECT_EQ(again.fed.added, 0);
  EXPECT_EQ(again.worker.completed, 0);
  EXPECT_EQ(notices, std::vector<std::string>{"resuming job letters"});
}

TEST_F(CommandJobTest, OtherWorkUnderTheSameNameIsRefusedAndLimitsAreKept) {
  CommandJobRequest limited = Request({"true"});
  limited.resources = {{"es", 2}};
  Run(std::move(limited));
  EXPECT_THROW(Run(Request({"false"})), Error);

  CommandJobRequest relimited = Request({"true"});
  relimited.resources = {{"es", 5}};
  std::vector<std::string> notices;
  Run(std::move(relimited), &notices);
  EXPECT_EQ(notices, (std::vector<std::string>{"job letters keeps the limits it was created with",
                                               "resuming job letters"}));
}

TEST_F(CommandJobTest, BadRequestsFailBeforeAnythingIsWritten) {
  EXPECT_THROW(CommandJob(Request({"echo", "{pth}"})), Error);
  CommandJobRequest output_unused = Request({"true"});
  output_unused.output = dir_ / "out";
  EXPECT_THROW(CommandJob(std::move(output_unused)), Error);
  EXPECT_TRUE(ledger_->ListJobs().empty());
}

TEST_F(CommandJobTest, AWorkerJoinsOnlyAnExistingCommandJob) {
  try {
    JoinCommandJob(url_, "missing", Worker(), {});
    FAIL() << "joined a job that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
  ledger_->CreateJob("other", R"({"task": "x"})");
  EXPECT_THROW(JoinCommandJob(url_, "other", Worker(), {}), Error);
  Run(Request(WriteKey()));
  EXPECT_EQ(JoinCommandJob(url_, "letters", Worker(), {}).completed, 0);  // nothing is left
}

}  // namespace
}  // namespace sluice::jobs
