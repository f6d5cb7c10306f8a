// Jobs defined in the ledger, end to end with the real binary: `--submit` lists a job without
// running it, `sluice worker --any` processes (two at once) finish it from its stored spec alone,
// `sluice wait` follows it, and a job stored by another sluice version is refused by name.
// DuckDB checks that a compaction finished by workers holds exactly its input's rows, and that a
// group-by and a distinct run by workers as staged jobs give its results, also when a worker is
// killed while it holds a partition.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/array.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

testing::CommandRun Sluice(const std::string& args) {
  return testing::RunSluice(SLUICE_BINARY, args);
}

// A command without the --progress flag RunSluice adds (wait, status).
testing::CommandRun SluiceAsIs(const std::string& args) {
  testing::CommandRun run;
  int status = 0;
  run.out = testing::CommandOutput(std::string(SLUICE_BINARY) + " " + args + " 2>&1", &status);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

testing::CommandRun Wait(const std::string& args) { return SluiceAsIs("wait " + args); }

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class JobSubmitTest : public ::testing::Test {
 protected:
  ScratchDir dir_{"sluice-submit"};
  std::string ledger_ = "sqlite:" + dir_.Path("ledger.db");
  // Two `sluice worker --any` processes at once, each expected to exit 0: their output together.
  std::string RunTwoWorkers() {
    auto other = std::async(std::launch::async, [&] {
      return Sluice("worker --any --memory 64MiB --ledger " + ledger_);
    });
    testing::CommandRun one = Sluice("worker --any --memory 64MiB --ledger " + ledger_);
    testing::CommandRun two = other.get();
    EXPECT_EQ(one.status, 0) << one.out;
    EXPECT_EQ(two.status, 0) << two.out;
    return one.out + two.out;
  }
};

TEST_F(JobSubmitTest, ARunJobSubmittedIsRunByAWorkerAndFollowedByWait) {
  std::string out = dir_.Path("out");
  testing::CommandRun submitted =
      Sluice("run --job j --partition-by list:a,b,c --ledger " + ledger_ + " --output " + out +
             " --submit -- sh -c 'echo {key} > {output}/k'");
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  EXPECT_NE(submitted.out.find("submitted job j: 3 partitions listed"), std::string::npos)
      << submitted.out;
  EXPECT_FALSE(fs::exists(out + "/a")) << "--submit ran a partition";

  testing::CommandRun waited = Wait("j --timeout 0.2 --ledger " + ledger_);
  EXPECT_EQ(waited.status, 2) << waited.out;
  EXPECT_NE(waited.out.find("pending 3"), std::string::npos) << waited.out;

  testing::CommandRun worker = Sluice("worker --job j --ledger " + ledger_);
  ASSERT_EQ(worker.status, 0) << worker.out;
  waited = Wait("j --ledger " + ledger_);
  EXPECT_EQ(waited.status, 0) << waited.out;
  EXPECT_NE(waited.out.find("3 done"), std::string::npos) << waited.out;
  for (const char* key : {"a", "b", "c"}) EXPECT_TRUE(fs::exists(out + "/" + key + "/k")) << key;
}

TEST_F(JobSubmitTest, AFailedJobFailsItsWorkerAndItsWait) {
  ASSERT_EQ(
      Sluice("run --job bad --partition-by list:x --max-attempts 1 --retry-delay 0 --ledger " +
             ledger_ + " --submit -- false")
          .status,
      0);
  EXPECT_EQ(Sluice("worker --any --ledger " + ledger_).status, 1);
  EXPECT_EQ(Wait("bad --ledger " + ledger_).status, 1);
}

TEST_F(JobSubmitTest, AJobOfAnotherVersionIsRefusedAndPassedOver) {
  {
    auto ledger = ledger::OpenLedger(ledger_);
    ledger->CreateJob("old", R"({"kind":"run","sluice_version":"0.0.1-old","command":["true"],)"
                             R"("fields":[],"partition_by":"list:a","output":"","max_attempts":1,)"
                             R"("on_failure":"fail"})");
  }
  testing::CommandRun worker = Sluice("worker --job old --ledger " + ledger_);
  EXPECT_EQ(worker.status, 1);
  EXPECT_NE(worker.out.find("created by sluice 0.0.1-old"), std::string::npos) << worker.out;
  testing::CommandRun any = Sluice("worker --any --ledger " + ledger_);
  EXPECT_EQ(any.status, 0) << any.out;
  EXPECT_NE(any.out.find("joined 0 jobs"), std::string::npos) << any.out;
  EXPECT_NE(Sluice("worker --ledger " + ledger_).out.find("either --job NAME or --any"),
            std::string::npos);
}

TEST_F(JobSubmitTest, ACompactionSubmittedIsFinishedByTwoWorkersWithTheSameRows) {
  auto duckdb = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
  SLUICE_REQUIRE_TEST_DATA(duckdb, "DuckDB from npm is not installed (npm ci)");
  std::string src = dir_.Path("src"), dst = dir_.Path("dst");
  for (int p = 0; p < 4; ++p) {
    fs::create_directories(src + "/d=" + std::to_string(p));
    for (int f = 0; f < 5; ++f) {
      duckdb->Query("COPY (SELECT i, i * " + std::to_string(p + f) +
                    " AS v, 'x' || i AS s FROM range(" + std::to_string(1000 + 100 * f) +
                    ") t(i)) TO '" + src + "/d=" + std::to_string(p) + "/f" + std::to_string(f) +
                    ".parquet' (FORMAT parquet)");
    }
  }
  testing::CommandRun submitted =
      Sluice("compact " + src + " " + dst + " --job c --verify --submit --ledger " + ledger_);
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  EXPECT_NE(submitted.out.find("4 partitions listed"), std::string::npos) << submitted.out;
  EXPECT_FALSE(fs::exists(dst + "/d=0"));

  const std::string workers = RunTwoWorkers();
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(workers.find("outputs verified"), std::string::npos);
  EXPECT_EQ(Wait("c --ledger " + ledger_).status, 0);

  std::string in = "read_parquet('" + src + "/*/*.parquet', hive_partitioning = true)";
  std::string out = "read_parquet('" + dst + "/*/*.parquet', hive_partitioning = true)";
  testing::MultisetDifference diff =
      testing::CompareMultisets(*duckdb, "SELECT * FROM " + out, "SELECT * FROM " + in);
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  EXPECT_EQ(duckdb->Query("SELECT count(*) FROM " + out).column(0).Value<int64_t>(0), 4 * 6000);
}

// A group-by, a distinct, a join and a sort submitted to the ledger and run by two workers as
// staged jobs (a sort samples its keys first and slices by range): the results equal DuckDB's over
// the same files, and the work directory is gone.
TEST_F(JobSubmitTest, ShufflesSubmittedAreRunByTwoWorkersAsDuckDbComputesThem) {
  auto duckdb = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
  SLUICE_REQUIRE_TEST_DATA(duckdb, "DuckDB from npm is not installed (npm ci)");
  fs::create_directories(dir_.Path("in"));
  for (int f = 0; f < 6; ++f) {
    duckdb->Query("COPY (SELECT i % 997 AS k, (i * 7 + " + std::to_string(f) +
                  ") % 101 AS v, 'n' || (i % 13) AS s FROM range(20000) t(i)) TO '" +
                  dir_.Path("in/f" + std::to_string(f) + ".parquet") + "' (FORMAT parquet)");
  }
  const std::string in = dir_.Path("in") + "/*.parquet";
  const std::string grouped = dir_.Path("grouped.parquet"), deduped = dir_.Path("deduped.csv");
  testing::CommandRun submitted =
      Sluice("groupby '" + in + "' --by k,s --agg 'count(*) as n, sum(v) as t, max(v) as m' -o " +
             grouped + " --map-size 1KiB --partitions 2..8 --submit --ledger " + ledger_);
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  EXPECT_NE(submitted.out.find("6 map partitions listed"), std::string::npos) << submitted.out;
  ASSERT_EQ(Sluice("distinct '" + in + "' --by v -o " + deduped + " --where 'k < 500' --submit " +
                   "--ledger " + ledger_)
                .status,
            0);
  fs::create_directories(dir_.Path("right"));
  for (int f = 0; f < 2; ++f) {
    duckdb->Query("COPY (SELECT i * 4 + " + std::to_string(f) + " AS k, i AS w FROM range(250) " +
                  "t(i)) TO '" + dir_.Path("right/r" + std::to_string(f) + ".parquet") +
                  "' (FORMAT parquet)");
  }
  const std::string joined = dir_.Path("joined.parquet");
  ASSERT_EQ(
      Sluice("join '" + in + "' '" + dir_.Path("right") + "/*.parquet' --on k --how left -o " +
             joined + " --map-size 1KiB --submit --ledger " + ledger_)
          .status,
      0);
  // Keys of another type on one side would not meet by hash: refused before anything is stored.
  duckdb->Query("COPY (SELECT i::INTEGER AS k FROM range(10) t(i)) TO '" +
                dir_.Path("narrow.parquet") + "' (FORMAT parquet)");
  testing::CommandRun refused =
      Sluice("join '" + in + "' " + dir_.Path("narrow.parquet") + " --on k -o " +
             dir_.Path("no.parquet") + " --submit --ledger " + ledger_);
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.out.find("join key k is int64 on the left and k is int32 on the right"),
            std::string::npos)
      << refused.out;
  const std::string sorted = dir_.Path("sorted.parquet");
  ASSERT_EQ(Sluice("sort '" + in + "' --by s,v:desc -o " + sorted + " --submit --ledger " + ledger_)
                .status,
            0);
  EXPECT_FALSE(fs::exists(grouped));
  const std::string job = submitted.out.substr(14, submitted.out.find(':') - 14);
  testing::CommandRun status = SluiceAsIs("status '" + job + "' --ledger " + ledger_);
  EXPECT_NE(status.out.find("stage map      done 0 running 0 pending 6 failed 0"),
            std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("stage reduce   waiting for the stage before it"), std::string::npos)
      << status.out;

  const std::string workers = RunTwoWorkers();
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(workers.find("wrote " + grouped), std::string::npos);
  status = SluiceAsIs("status '" + job + "' --ledger " + ledger_);
  EXPECT_NE(status.out.find("stage gather   done 1 running 0 pending 0 failed 0"),
            std::string::npos)
      << status.out;

  const std::string source = "read_parquet('" + in + "')";
  testing::MultisetDifference diff = testing::CompareMultisets(
      *duckdb, "SELECT * FROM '" + grouped + "'",
      "SELECT k, s, count(*) AS n, sum(v) AS t, max(v) AS m FROM " + source + " GROUP BY k, s");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  // Which row of a key distinct keeps is the first in input order: compare the keys.
  diff = testing::CompareMultisets(*duckdb, "SELECT v FROM '" + deduped + "'",
                                   "SELECT DISTINCT v FROM " + source + " WHERE k < 500");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  diff =
      testing::CompareMultisets(*duckdb, "SELECT * FROM '" + joined + "'",
                                "SELECT x.*, y.w FROM " + source + " x LEFT JOIN read_parquet('" +
                                    dir_.Path("right") + "/*.parquet') y ON x.k = y.k");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  // The sort: every row, in order by the file's own row numbers.
  diff = testing::CompareMultisets(*duckdb, "SELECT * FROM '" + sorted + "'",
                                   "SELECT * FROM " + source);
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  EXPECT_EQ(duckdb->QueryInt(
                "SELECT count(*) FROM (SELECT s, v, lag(s) OVER w AS ps, lag(v) OVER w AS pv FROM "
                "read_parquet('" +
                sorted +
                "', file_row_number = true) WINDOW w AS (ORDER BY "
                "file_row_number)) WHERE ps > s OR (ps = s AND pv < v)"),
            0);
  EXPECT_FALSE(fs::exists(grouped + ".sluice-shuffle"));
  EXPECT_FALSE(fs::exists(deduped + ".sluice-shuffle"));
  EXPECT_FALSE(fs::exists(sorted + ".sluice-shuffle"));
  EXPECT_FALSE(fs::exists(joined + ".sluice-shuffle"));
}

// Top-N submitted to the ledger and run by two workers (map tasks keep their own top N, reduce
// tasks the top N of those): per group, the rows DuckDB's window query keeps when ties go to the
// earlier input row (id counts rows in input order); globally, one process's rows in its order.
TEST_F(JobSubmitTest, TopNSubmittedIsRunByTwoWorkersAsOneProcessAndDuckDbComputeIt) {
  auto duckdb = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
  SLUICE_REQUIRE_TEST_DATA(duckdb, "DuckDB from npm is not installed (npm ci)");
  fs::create_directories(dir_.Path("in"));
  for (int f = 0; f < 4; ++f) {
    duckdb->Query("COPY (SELECT i + " + std::to_string(f * 20000) +
                  " AS id, i % 997 AS k, (i * 7 + " + std::to_string(f) +
                  ") % 101 AS v, 'n' || (i % 13) AS s FROM range(20000) t(i)) TO '" +
                  dir_.Path("in/f" + std::to_string(f) + ".parquet") + "' (FORMAT parquet)");
  }
  const std::string in = dir_.Path("in") + "/*.parquet";
  const std::string per = dir_.Path("per.parquet"), top = dir_.Path("top.parquet");
  testing::CommandRun submitted =
      Sluice("sort '" + in + "' --by v:desc --top 2 --per k -o " + per +
             " --map-size 1KiB --partitions 2..8 --submit --ledger " + ledger_);
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  EXPECT_NE(submitted.out.find("4 map partitions listed"), std::string::npos) << submitted.out;
  ASSERT_EQ(Sluice("sort '" + in + "' --by v,s:desc --top 25 --where 'k > 10' -o " + top +
                   " --map-size 1KiB --submit --ledger " + ledger_)
                .status,
            0);
  EXPECT_NE(Sluice("sort '" + in + "' --by v --per k -o " + top + " --submit --ledger " + ledger_)
                .out.find("--per needs --top N"),
            std::string::npos);
  const std::string workers = RunTwoWorkers();
  ASSERT_FALSE(HasFailure());

  const std::string source = "read_parquet('" + in + "')";
  testing::MultisetDifference diff = testing::CompareMultisets(
      *duckdb, "SELECT * FROM '" + per + "'",
      "SELECT * FROM " + source +
          " QUALIFY row_number() OVER (PARTITION BY k ORDER BY v DESC, id) <= 2");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  EXPECT_EQ(duckdb->QueryInt("SELECT count(*) FROM '" + per + "'"), 2 * 997);
  // The global top-N, row by row in order: one process's file and DuckDB's ORDER BY ... LIMIT.
  const std::string local = dir_.Path("local.parquet");
  ASSERT_EQ(Sluice("sort '" + in + "' --by v,s:desc --top 25 --where 'k > 10' -o " + local).status,
            0);
  auto numbered = [](const std::string& file) {
    return "SELECT * FROM read_parquet('" + file + "', file_row_number = true)";
  };
  diff = testing::CompareMultisets(*duckdb, numbered(top), numbered(local));
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  diff = testing::CompareMultisets(
      *duckdb, numbered(top),
      "SELECT * FROM (SELECT *, row_number() OVER (ORDER BY v, s DESC, id) - 1 AS "
      "file_row_number FROM " +
          source + " WHERE k > 10) WHERE file_row_number < 25");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  EXPECT_FALSE(fs::exists(per + ".sluice-shuffle"));
  EXPECT_FALSE(fs::exists(top + ".sluice-shuffle"));
}

// Bloom filters submitted to the ledger and built by two workers (partial filters of a few files
// each, ORed by a merge task): each file is byte for byte the one `sluice bloom` writes in one
// process, over CSV (the byte path, its size estimated at submit) and over Parquet with --where
// (the scan path), and the work directory is gone.
TEST_F(JobSubmitTest, BloomFiltersSubmittedAreTheOneProcessFilesWhenTwoWorkersBuildThem) {
  auto duckdb = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
  SLUICE_REQUIRE_TEST_DATA(duckdb, "DuckDB from npm is not installed (npm ci)");
  fs::create_directories(dir_.Path("in"));
  for (int f = 0; f < 4; ++f) {
    for (const char* format : {"csv", "parquet"}) {
      duckdb->Query("COPY (SELECT i AS id, CASE WHEN i % 50 = 0 THEN NULL ELSE 'u' || (i * 7 + " +
                    std::to_string(f) + ") || '@x.org' END AS email FROM range(5000) t(i)) TO '" +
                    dir_.Path("in/f" + std::to_string(f) + "." + format) + "' (FORMAT " + format +
                    ")");
    }
  }
  struct Case {
    std::string inputs, flags, output;
  };
  const std::vector<Case> cases = {
      {dir_.Path("in") + "/*.csv", "", dir_.Path("csv.bloom")},
      {dir_.Path("in") + "/*.parquet", " --where 'id >= 1000'", dir_.Path("parquet.bloom")}};
  std::string job;
  for (const Case& c : cases) {
    testing::CommandRun submitted =
        Sluice("bloom '" + c.inputs + "' --column email" + c.flags + " -o " + c.output +
               " --map-size 1KiB --submit --ledger " + ledger_);
    ASSERT_EQ(submitted.status, 0) << submitted.out;
    EXPECT_NE(submitted.out.find("4 partial partitions listed"), std::string::npos)
        << submitted.out;
    const size_t at = submitted.out.find("submitted job ") + 14;
    job = submitted.out.substr(at, submitted.out.find(':', at) - at);
  }
  EXPECT_FALSE(fs::exists(cases[0].output));
  testing::CommandRun status = SluiceAsIs("status '" + job + "' --ledger " + ledger_);
  EXPECT_NE(status.out.find("stage partial  done 0 running 0 pending 4 failed 0"),
            std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("stage merge    waiting for the stage before it"), std::string::npos)
      << status.out;

  const std::string workers = RunTwoWorkers();
  ASSERT_FALSE(HasFailure());
  status = SluiceAsIs("status '" + job + "' --ledger " + ledger_);
  EXPECT_NE(status.out.find("stage merge    done 1 running 0 pending 0 failed 0"),
            std::string::npos)
      << status.out;
  for (const Case& c : cases) {
    EXPECT_NE(workers.find("wrote " + c.output), std::string::npos);
    EXPECT_FALSE(fs::exists(c.output + ".sluice-bloom")) << c.output;
    const std::string local = c.output + ".local";
    testing::CommandRun one =
        Sluice("bloom '" + c.inputs + "' --column email" + c.flags + " -o " + local);
    ASSERT_EQ(one.status, 0) << one.out;
    EXPECT_EQ(FileBytes(c.output), FileBytes(local)) << c.output;
  }
}

// A worker killed with SIGKILL while a shuffle job runs: its leases expire, the other workers run
// its partitions again (whatever stage it was in), and the result is still exactly DuckDB's, with
// no attempt left in the work directory.
TEST_F(JobSubmitTest, AShuffleJobLosesNothingWhenAWorkerIsKilled) {
  auto duckdb = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
  SLUICE_REQUIRE_TEST_DATA(duckdb, "DuckDB from npm is not installed (npm ci)");
  fs::create_directories(dir_.Path("in"));
  for (int f = 0; f < 12; ++f) {
    duckdb->Query("COPY (SELECT (i * 7919 + " + std::to_string(f) +
                  ") % 50000 AS k, i % 1000 AS v FROM range(150000) t(i)) TO '" +
                  dir_.Path("in/f" + std::to_string(f) + ".parquet") + "' (FORMAT parquet)");
  }
  const std::string in = dir_.Path("in") + "/*.parquet", out = dir_.Path("out.parquet");
  testing::CommandRun submitted =
      Sluice("groupby '" + in + "' --by k --agg 'median(v) as m, count(*) as n' -o " + out +
             " --map-size 1KiB --submit --ledger " + ledger_);
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  const std::string worker = std::string(SLUICE_BINARY) + " worker --any --lease 1 --workers 1 " +
                             "--memory 64MiB --log-level error --ledger " + ledger_;
  int status = 0;
  const std::string pid = testing::CommandOutput(
      "exec " + worker + " > " + dir_.Path("killed.log") + " 2>&1 & echo $!", &status);
  auto other = std::async(std::launch::async, [&] {
    return SluiceAsIs(worker.substr(std::string(SLUICE_BINARY).size() + 1));
  });
  // Killed while it holds a partition: that partition must be run again by another worker.
  auto ledger = ledger::OpenLedger(ledger_);
  const ledger::JobRecord job = ledger->ListJobs().front();
  auto holds_lease = [&] {
    for (const auto& p : ledger->ListPartitions(job.id)) {
      if (p.status == ledger::PartitionStatus::kRunning &&
          p.lease_owner.ends_with(":" + std::to_string(std::stoi(pid)))) {
        return true;
      }
    }
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!holds_lease() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(::kill(std::stoi(pid), SIGKILL), 0);
  testing::CommandRun survivor = SluiceAsIs(worker.substr(std::string(SLUICE_BINARY).size() + 1));
  testing::CommandRun first = other.get();
  EXPECT_EQ(survivor.status, 0) << survivor.out;
  EXPECT_EQ(first.status, 0) << first.out;
  testing::MultisetDifference diff = testing::CompareMultisets(
      *duckdb, "SELECT * FROM '" + out + "'",
      "SELECT k, median(v) AS m, count(*) AS n FROM read_parquet('" + in + "') GROUP BY k");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  EXPECT_FALSE(fs::exists(out + ".sluice-shuffle"));
  int64_t retried = 0;
  for (const auto& p : ledger->ListPartitions(job.id)) retried += p.attempt > 1 ? 1 : 0;
  EXPECT_GE(retried, 1) << "no partition of the killed worker was run again";
}

}  // namespace
}  // namespace sluice
