// `sluice compact` end to end, checked by DuckDB: inputs written by DuckDB (another writer) are
// compacted by the real binary, and DuckDB confirms the output holds exactly the input's multiset
// of rows per partition (EXCEPT ALL both ways, and counts); row groups and files have the
// requested sizes; --order-by output is sorted; runs killed with SIGKILL at random points resume
// to a correct output without duplicates or visible partial files; a corrupt input fails its
// partition with an error naming the file while the other partitions complete.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/table/array.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

using Result = testing::CommandRun;
Result RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

class CompactDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    dir_ = fs::temp_directory_path() /
           ("sluice_compact_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
    src_ = (dir_ / "src").string();
    dst_ = (dir_ / "dst").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  int64_t Scalar(const std::string& sql) { return duckdb_->QueryInt(sql); }

  // `files` files per partition, each of `rows` rows in row groups of `rg_rows`; row group g of
  // file f of partition p holds timestamps from a disjoint range, files shuffled by `seed`.
  void Generate(int partitions, int files, int rows, int rg_rows, int seed = 1) {
    std::mt19937 rng(seed);
    for (int p = 0; p < partitions; ++p) {
      std::string part = src_ + "/date=2026-01-0" + std::to_string(p + 1);
      fs::create_directories(part);
      std::vector<int> order(files);
      for (int f = 0; f < files; ++f) order[f] = f;
      std::shuffle(order.begin(), order.end(), rng);
      for (int f = 0; f < files; ++f) {
        int64_t base = (int64_t{p} * files + order[f]) * rows;
        duckdb_->Query(fmt_copy(base, rows, rg_rows, p * 1000 + f,
                                part + "/f" + std::to_string(f) + ".parquet"));
      }
    }
  }

  static std::string fmt_copy(int64_t base, int rows, int rg_rows, int seed,
                              const std::string& path) {
    std::string b = std::to_string(base), s = std::to_string(seed);
    return "COPY (SELECT make_timestamp(1767225600000000 + (" + b +
           " + i) * 1000) AS ts, "
           "(hash(i * 7 + " +
           s +
           ") % 100000)::BIGINT AS user_id, "
           "['us','de','fr','jp','br','in'][1 + ((i + " +
           s +
           ") % 6)::INTEGER] AS country, "
           "'https://example.com/p/' || (hash(i + " +
           s +
           ") % 5000)::VARCHAR AS url, "
           "((i * 37) % 1000) / 7.0 AS amount, "
           "CASE WHEN i % 11 = 0 THEN NULL ELSE i % 2 = 0 END AS flag, "
           "CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 31) % 100000)::INTEGER END AS score "
           "FROM range(" +
           std::to_string(rows) + ") t(i)) TO '" + path +
           "' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE " + std::to_string(rg_rows) + ")";
  }

  // The output holds exactly the input's rows, partition by partition.
  void ExpectSameRows() {
    std::string in = "read_parquet('" + src_ + "/*/*.parquet', hive_partitioning = true)";
    std::string out = "read_parquet('" + dst_ + "/*/*.parquet', hive_partitioning = true)";
    EXPECT_EQ(Scalar("SELECT count(*) FROM (SELECT * FROM " + in + " EXCEPT ALL SELECT * FROM " +
                     out + ")"),
              0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM (SELECT * FROM " + out + " EXCEPT ALL SELECT * FROM " +
                     in + ")"),
              0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM " + in), Scalar("SELECT count(*) FROM " + out));
  }

  // No temporary or attempt files are visible beside the committed outputs.
  void ExpectNoPartialFiles() {
    for (const auto& part : fs::directory_iterator(dst_)) {
      std::string name = part.path().filename().string();
      if (name[0] == '.') continue;
      for (const auto& f : fs::directory_iterator(part.path())) {
        EXPECT_EQ(f.path().filename().string().rfind("part-", 0), 0u) << f.path();
      }
    }
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
  std::string src_, dst_;
};

TEST_F(CompactDuckDbTest, SameRowsRequestedSizesAndVerbatimPages) {
  SLUICE_REQUIRE_TEST_DATA(duckdb_, "DuckDB from npm is not installed (npm ci)");
  Generate(3, 8, 12000, 3000);
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --row-group-rows 20000 --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  ExpectSameRows();
  ExpectNoPartialFiles();
  // Every output row group but the last of a partition is within one input row group (DuckDB
  // rounds its row groups to its vector size) of the target.
  int64_t largest =
      Scalar("SELECT max(row_group_num_rows) FROM parquet_metadata('" + src_ + "/*/*.parquet')");
  RecordBatch groups =
      duckdb_->Query("SELECT file_name, row_group_id, row_group_num_rows FROM parquet_metadata('" +
                     dst_ + "/*/*.parquet') WHERE column_id = 0 ORDER BY file_name, row_group_id");
  ASSERT_GT(groups.num_rows(), 0);
  for (int64_t i = 0; i < groups.num_rows(); ++i) {
    int64_t rows = groups.column(2).Value<int64_t>(i);
    EXPECT_LE(rows, 20000);
    bool last = i + 1 == groups.num_rows() ||
                groups.column(0).BinaryValue(i + 1) != groups.column(0).BinaryValue(i);
    if (!last) {
      EXPECT_GT(rows, 20000 - largest) << i;
    }
  }
  EXPECT_EQ(
      Scalar("SELECT count(DISTINCT file_name) FROM parquet_metadata('" + dst_ + "/*/*.parquet')"),
      3);
}

TEST_F(CompactDuckDbTest, TargetFileSizeSplitsFiles) {
  SLUICE_REQUIRE_TEST_DATA(duckdb_, "DuckDB from npm is not installed (npm ci)");
  Generate(1, 10, 20000, 5000);
  int64_t input = 0;
  for (const auto& f : fs::recursive_directory_iterator(src_)) {
    if (f.is_regular_file()) input += static_cast<int64_t>(f.file_size());
  }
  int64_t target = input / 4;
  Result r =
      RunSluice("compact " + src_ + " " + dst_ + " --row-group-size " + std::to_string(target / 3) +
                " --target-file-size " + std::to_string(target));
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows();
  int files = 0;
  for (const auto& f : fs::directory_iterator(dst_ + "/date=2026-01-01")) {
    ++files;
    // Within the target plus the footer and dictionary pages the merge adds.
    EXPECT_LE(static_cast<int64_t>(f.file_size()), target + target / 10) << f.path();
  }
  EXPECT_GE(files, 4);
  EXPECT_LE(files, 6);
}

TEST_F(CompactDuckDbTest, OrderByGivesSortedOutput) {
  SLUICE_REQUIRE_TEST_DATA(duckdb_, "DuckDB from npm is not installed (npm ci)");
  Generate(2, 12, 8000, 2000, 7);
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --row-group-rows 30000 --order-by ts");
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows();
  for (const auto& part : fs::directory_iterator(dst_)) {
    if (part.path().filename().string()[0] == '.') continue;
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(part.path())) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    int64_t previous = INT64_MIN, rows = 0;
    for (const std::string& f : files) {
      auto reader = parquet::ParquetFileReader::Open(f);
      parquet::ParquetReadOptions options;
      options.columns = {"ts"};
      for (const RecordBatch& b : reader->ReadAll(options)) {
        for (int64_t i = 0; i < b.num_rows(); ++i) {
          int64_t ts = b.column(0).Value<int64_t>(i);
          ASSERT_GE(ts, previous) << f << " row " << rows + i;
          previous = ts;
        }
        rows += b.num_rows();
      }
    }
    EXPECT_EQ(rows, 12 * 8000);
  }
}

TEST_F(CompactDuckDbTest, ResumesAfterKillNineWithoutDuplicates) {
  SLUICE_REQUIRE_TEST_DATA(duckdb_, "DuckDB from npm is not installed (npm ci)");
  Generate(6, 10, 20000, 5000, 3);
  std::mt19937 rng(42);
  std::string args = "compact " + src_ + " " + dst_ +
                     " --row-group-rows 40000 --lease 1 --partitions-in-flight 2 --memory 64MiB "
                     "--max-attempts 20";
  int killed = 0;
  for (int round = 0; round < 5; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      std::string cmd = std::string(SLUICE_BINARY) + " " + args + " --progress off";
      execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 700));
    if (kill(pid, SIGKILL) == 0) ++killed;
    int status = 0;
    waitpid(pid, &status, 0);
  }
  EXPECT_GT(killed, 0);
  Result r = RunSluice(args);
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows();
  ExpectNoPartialFiles();
  // Every partition committed exactly once: one directory each, no leftover attempts.
  int partitions = 0;
  for (const auto& part : fs::directory_iterator(dst_)) {
    if (part.path().filename().string()[0] != '.') ++partitions;
  }
  EXPECT_EQ(partitions, 6);
  EXPECT_FALSE(fs::exists(dst_ + "/.sluice-attempts") && !fs::is_empty(dst_ + "/.sluice-attempts"));
}

TEST_F(CompactDuckDbTest, CorruptInputFailsItsPartitionOnly) {
  SLUICE_REQUIRE_TEST_DATA(duckdb_, "DuckDB from npm is not installed (npm ci)");
  Generate(3, 4, 6000, 2000);
  std::string bad = src_ + "/date=2026-01-02/f2.parquet";
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-8, std::ios::end);
    f.write("\x7f\x7f\x7f\x7f", 4);  // the footer length points nowhere
  }
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --max-attempts 1 --row-group-rows 50000");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("FAILED date=2026-01-02"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("f2.parquet"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dst_ + "/date=2026-01-02"));
  for (const char* ok : {"date=2026-01-01", "date=2026-01-03"}) {
    std::string in = "read_parquet('" + src_ + "/" + ok + "/*.parquet')";
    std::string out = "read_parquet('" + dst_ + "/" + ok + "/*.parquet')";
    EXPECT_EQ(Scalar("SELECT count(*) FROM (SELECT * FROM " + in + " EXCEPT ALL SELECT * FROM " +
                     out + ")"),
              0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM " + out), 4 * 6000);
  }
}

TEST_F(CompactDuckDbTest, DeleteSourceAfterCommitAndDryRunWritesNothing) {
  SLUICE_REQUIRE_TEST_DATA(duckdb_, "DuckDB from npm is not installed (npm ci)");
  Generate(2, 3, 5000, 2500);
  Result dry = RunSluice("compact " + src_ + " " + dst_ + " --dry-run --row-group-rows 10000");
  ASSERT_EQ(dry.status, 0) << dry.out;
  EXPECT_NE(dry.out.find("date=2026-01-01: 3 files"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("part-00000.parquet"), std::string::npos) << dry.out;
  EXPECT_FALSE(fs::exists(dst_));
  // Keep a copy of the inputs to compare against once they are deleted.
  fs::copy(src_, (dir_ / "copy").string(), fs::copy_options::recursive);
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --verify --delete-source");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("deleted 6 source files"), std::string::npos) << r.out;
  for (const auto& f : fs::recursive_directory_iterator(src_))
    EXPECT_FALSE(f.is_regular_file()) << f.path();
  src_ = (dir_ / "copy").string();
  ExpectSameRows();
}

}  // namespace
}  // namespace sluice
