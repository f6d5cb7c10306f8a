// The group-by shuffle against DuckDB when it must spill: high-cardinality keys with nulls and
// duplicates aggregated inside a memory budget 20x smaller than the data give DuckDB's GROUP BY
// result; `sluice distinct` (all columns, and --by keeping the first row) gives DuckDB's DISTINCT
// and DISTINCT ON; coalescing shows in the report and changes no result; spill files are gone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/ops/group_by.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

using testing::CommandRun;
CommandRun RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

class ShuffleDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    dir_ = fs::temp_directory_path() /
           ("sluice_shuffle_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "spill");
    // Three files of 100,000 rows: a string key of ~60,000 values and an int key, both with
    // nulls; duplicate whole rows (a tenth of the rows repeat an earlier one).
    for (int f = 0; f < 3; ++f) {
      files_.push_back((dir_ / ("part-" + std::to_string(f) + ".parquet")).string());
      duckdb_->Query("SELECT setseed(0." + std::to_string(f + 3) + ")");
      duckdb_->Query(
          "COPY (WITH base AS (SELECT CASE WHEN random() < 0.03 THEN NULL ELSE 'key-' || "
          "(random() * 60000)::INT END AS s, CASE WHEN random() < 0.03 THEN NULL ELSE "
          "(random() * 3)::INT END AS i, CASE WHEN random() < 0.1 THEN NULL ELSE (random() * "
          "100)::BIGINT END AS v, round(random() * 100, 2) AS x FROM range(90000)) SELECT * FROM "
          "base UNION ALL (SELECT * FROM base LIMIT 10000)) TO '" +
          files_.back() + "' (FORMAT parquet, ROW_GROUP_SIZE 20000)");
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string FileList() const {
    std::string list = "[";
    for (const std::string& f : files_) list += (list.size() > 1 ? ", '" : "'") + f + "'";
    return list + "]";
  }
  std::string Inputs() const { return "'" + (dir_ / "part-*.parquet").string() + "'"; }

  // Rows in one query's result and not the other's, both ways (0 when they are equal as
  // multisets).
  int64_t Difference(const std::string& a, const std::string& b) {
    RecordBatch diff =
        duckdb_->Query("SELECT (SELECT count(*) FROM ((" + a + ") EXCEPT ALL (" + b +
                       "))) + (SELECT count(*) FROM ((" + b + ") EXCEPT ALL (" + a + ")))");
    return diff.column(0).Value<int64_t>(0);
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
  std::vector<std::string> files_;
};

TEST_F(ShuffleDuckDbTest, SpilledGroupByMatchesDuckDb) {
  // About 9 MiB of data in memory; the budget is 20x smaller.
  const std::string out = (dir_ / "out.parquet").string();
  const fs::path report = dir_ / "report.json";
  CommandRun r =
      RunSluice("groupby " + Inputs() +
                " --by s,i --agg 'count(*) as n, sum(v) as sv, min(x) as mn, max(s) as ms, "
                "count_distinct(v) as dv, median(x) as md' -o " +
                out + " --memory 460KiB --threads 2 --spill-dir " + (dir_ / "spill").string() +
                " --report " + report.string());
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json g = ReadJson(report)["group_by"];
  EXPECT_GT(g["spilled_rows"].get<int64_t>(), 0) << g.dump();
  EXPECT_GT(g["spill_runs"].get<int64_t>(), 0);
  EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
  // The median of an even count is the mean of two values, which may differ in the last bit
  // by the order of operations: compared to 1e-6 (the values have two decimals).
  EXPECT_EQ(
      Difference("SELECT s, i, n, sv, mn, ms, dv, round(md, 6) FROM read_parquet('" + out + "')",
                 "SELECT s, i, count(*), sum(v)::BIGINT, min(x), max(s), count(DISTINCT v), "
                 "round(median(x), 6) FROM read_parquet(" +
                     FileList() + ") GROUP BY s, i"),
      0);
}

TEST_F(ShuffleDuckDbTest, DistinctRowsAndDeduplicationMatchDuckDb) {
  const std::string all = (dir_ / "distinct.parquet").string();
  CommandRun r = RunSluice("distinct " + Inputs() + " -o " + all +
                           " --memory 460KiB --threads 2 --spill-dir " + (dir_ / "spill").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("spilled"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
  EXPECT_EQ(Difference("SELECT * FROM read_parquet('" + all + "')",
                       "SELECT DISTINCT * FROM read_parquet(" + FileList() + ")"),
            0);

  // --by keeps each key's first row in input order (file order, then row order), in the
  // input's column order.
  const std::string dedup = (dir_ / "dedup.csv").string();
  r = RunSluice("distinct " + Inputs() + " --by i,s -o " + dedup + " --threads 2");
  ASSERT_EQ(r.status, 0) << r.out;
  RecordBatch header =
      duckdb_->Query("SELECT * FROM read_csv('" + dedup + "', header = true) LIMIT 1");
  EXPECT_EQ(header.schema().field(0).name, "s");
  EXPECT_EQ(header.schema().field(3).name, "x");
  EXPECT_EQ(Difference("SELECT s, i, v, x FROM read_csv('" + dedup +
                           "', header = true, columns = {'s': 'VARCHAR', 'i': 'INTEGER', 'v': "
                           "'BIGINT', 'x': 'DOUBLE'})",
                       "SELECT DISTINCT ON (s, i) s, i, v, x FROM read_parquet(" + FileList() +
                           ", filename = true, file_row_number = true) ORDER BY s, i, filename, "
                           "file_row_number"),
            0);
}

TEST_F(ShuffleDuckDbTest, CoalescingFollowsTheAdvisorySizeAndChangesNoResult) {
  const std::string expected =
      "SELECT s, i, count(*), sum(v)::BIGINT FROM read_parquet(" + FileList() + ") GROUP BY s, i";
  int64_t few_tasks = 0;
  for (const char* advisory : {"64MiB", "64KiB"}) {
    SCOPED_TRACE(advisory);
    const std::string out = (dir_ / "out.parquet").string();
    const fs::path report = dir_ / "report.json";
    CommandRun r =
        RunSluice("groupby " + Inputs() + " --by s,i --agg 'count(*) as n, sum(v) as sv' -o " +
                  out + " --partitions 1..64 --advisory-partition-size " + advisory +
                  " --threads 2 --report " + report.string());
    ASSERT_EQ(r.status, 0) << r.out;
    const nlohmann::json g = ReadJson(report)["group_by"];
    const int64_t tasks = g["merge_tasks"].get<int64_t>();
    EXPECT_LE(tasks, g["partitions"].get<int64_t>());
    int64_t groups = 0;
    for (const auto& t : g["tasks"]) groups += t["groups"].get<int64_t>();
    EXPECT_EQ(groups, g["groups"].get<int64_t>());
    if (few_tasks == 0) {
      few_tasks = tasks;
      EXPECT_EQ(tasks, 1) << "a few MiB of state fit one 64 MiB task";
    } else {
      EXPECT_GT(tasks, few_tasks) << "64 KiB tasks need more of them";
    }
    EXPECT_EQ(Difference("SELECT * FROM read_parquet('" + out + "')", expected), 0);
  }
}

TEST_F(ShuffleDuckDbTest, ErrorsNameTheColumnAndLeaveNoOutput) {
  const std::string out = (dir_ / "out.parquet").string();
  CommandRun r = RunSluice("distinct " + Inputs() + " --by nope -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("nope"), std::string::npos) << r.out;
  r = RunSluice("groupby " + Inputs() + " --by s --agg 'sum(v)' -o " + out +
                " --advisory-partition-size lots");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--advisory-partition-size"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace sluice
