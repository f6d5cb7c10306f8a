#include "sluice/jobs/bloom/bloom_ledger_job.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "sluice/io/fs/file_system.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"
#include "sluice/jobs/testing/two_at_once.h"
#include "sluice/ops/bloom/bloom_filter_file.h"

namespace sluice {
namespace {

namespace stdfs = std::filesystem;

class BloomLedgerJobTest : public jobs::SqliteLedgerFixture {
 protected:
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // CSV files of id,email (some emails empty: null).
  void WriteFiles(int files, int rows) {
    std::mt19937_64 rng(5);
    for (int f = 0; f < files; ++f) {
      std::string text = "id,email\n";
      for (int r = 0; r < rows; ++r) {
        const bool null = rng() % 40 == 0;
        text += std::to_string(r) + "," +
                (null ? "" : "u" + std::to_string(rng() % 100000) + "@x.org") + "\n";
      }
      fs::WriteWholeFile(*fs::LocalFileSystem(), Path("in-" + std::to_string(f) + ".csv"), text);
    }
  }

  BloomSpec Spec() const {
    BloomSpec spec;
    ResolveBloomInputs({Path("in-*.csv")}, spec);
    spec.column = "email";
    spec.fpr = 0.02;
    spec.csv.chunk_bytes = 4096;
    spec.output = Path("out.bloom");
    spec.work_dir = BloomSpec::DefaultWorkDir(spec.output);
    spec.partial_bytes = 1;  // a partial per file
    return spec;
  }

  static RunOptions Run() {
    RunOptions run;
    run.memory_budget = 64 << 20;
    run.cpu_threads = 2;
    return run;
  }

  // Two workers of two slots each, as two hosts would run them.
  std::vector<JoinedBloom> RunTwoWorkers(const std::string& job) {
    jobs::WorkerOptions worker;
    worker.slots = 2;
    worker.max_idle_poll = std::chrono::milliseconds(20);
    worker.backoff_base = std::chrono::milliseconds(20);
    return jobs::TwoAtOnce([&] { return JoinBloom(url_, job, worker, Run()); });
  }

  static std::string Bytes(const std::string& path) {
    return fs::ReadWholeFile(*fs::LocalFileSystem(), path);
  }
};

TEST_F(BloomLedgerJobTest, FilterAcrossWorkersIsTheOneProcessFileByteForByte) {
  WriteFiles(5, 3000);
  BloomSpec spec = Spec();
  const std::string note = SizeBloomSpec(spec, BloomSizing::kAuto, Run());
  EXPECT_EQ(spec.sizing, "estimated") << note;
  const SubmittedBloom submitted = SubmitBloom(url_, spec);
  EXPECT_EQ(submitted.partials, 5);
  std::vector<JoinedBloom> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kDone);
  EXPECT_EQ(joined[0].stats.completed + joined[1].stats.completed, 5 + 1);
  EXPECT_FALSE(stdfs::exists(spec.work_dir));

  BloomJobOptions local = spec.JobOptions({Path("in-*.csv")});
  local.expected_items = 0;  // sized by the one-process job itself
  local.output = Path("local.bloom");
  const BloomJobResult r = RunBloomJob(local, Run());
  EXPECT_EQ(r.file.sizing, "estimated");
  EXPECT_EQ(r.file.expected_items, spec.expected_items);
  EXPECT_GT(r.file.items, 14000);
  EXPECT_EQ(Bytes(spec.output), Bytes(local.output));
}

TEST_F(BloomLedgerJobTest, SubmittingTheSameWorkTwiceTakesUpTheJob) {
  WriteFiles(2, 100);
  BloomSpec spec = Spec();
  spec.expected_items = 1000;
  spec.sizing = "given";
  const SubmittedBloom first = SubmitBloom(url_, spec);
  const SubmittedBloom again = SubmitBloom(url_, spec);
  EXPECT_EQ(first.job_name, again.job_name);
  EXPECT_TRUE(again.resumed);
  spec.fpr = 0.001;
  EXPECT_NE(SubmitBloom(url_, spec).job_name, first.job_name);
}

TEST_F(BloomLedgerJobTest, AMissingInputFailsTheJobNamingTheFileAndWritesNothing) {
  WriteFiles(3, 100);
  BloomSpec spec = Spec();
  spec.expected_items = 1000;
  spec.sizing = "given";
  const SubmittedBloom submitted = SubmitBloom(url_, spec);
  stdfs::remove(spec.inputs[1]);
  std::vector<JoinedBloom> joined = RunTwoWorkers(submitted.job_name);
  EXPECT_EQ(joined[0].status, ledger::JobStatus::kFailed);
  ASSERT_EQ(joined[0].errors.size(), 1u);
  EXPECT_NE(joined[0].errors[0].find("partial/00001"), std::string::npos) << joined[0].errors[0];
  EXPECT_NE(joined[0].errors[0].find(spec.inputs[1]), std::string::npos) << joined[0].errors[0];
  EXPECT_FALSE(stdfs::exists(spec.output));
}

TEST_F(BloomLedgerJobTest, AStoredSpecReadsBackAsItWasWritten) {
  WriteFiles(1, 10);
  BloomSpec spec = Spec();
  spec.csv.delimiter = '\t';
  spec.csv.escape = '\0';
  spec.csv.null_values = {"", "NA"};
  spec.csv.schema = "id:int64";
  spec.where = "id > 3";
  EXPECT_EQ(BloomSpec::FromJson(spec.ToJson()).ToJson(), spec.ToJson());
  EXPECT_THROW(BloomSpec::FromJson("{}"), Error);
}

}  // namespace
}  // namespace sluice
