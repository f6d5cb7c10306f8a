// Join results against DuckDB: both inputs written by DuckDB (string and integer keys of
// different widths, with nulls and duplicates, several files and row groups), joined by sluice's
// RunHashJoin with plenty of memory and with a budget twenty times smaller than the data (Grace,
// spilling), and by DuckDB; all six kinds must give the same multiset of rows. Also `sluice join`
// end to end: CSV and Parquet output read back by DuckDB, the JSON report, spill files removed,
// and errors that name the column or type.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/log.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> RowTexts(const std::vector<RecordBatch>& batches) {
  std::vector<std::string> rows;
  for (const RecordBatch& b : batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::string row;
      for (int c = 0; c < b.num_columns(); ++c) {
        row += (b.column(c).IsNull(r) ? "NULL" : FormatValue(b.column(c), r)) + "|";
      }
      rows.push_back(std::move(row));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// DuckDB's query for each kind, columns in sluice's order: keys once (coalesced), the left's
// other columns, then the right's, `x` of the right renamed x_right.
std::string DuckDbJoin(JoinKind kind, const std::string& left, const std::string& right) {
  const std::string on = "l.s = r.s AND l.i = r.i";
  const std::string from_l = "read_parquet(" + left + ") l";
  const std::string from_r = "read_parquet(" + right + ") r";
  if (kind == JoinKind::kSemi || kind == JoinKind::kAnti) {
    return "SELECT l.* FROM " + from_l + " WHERE " + (kind == JoinKind::kAnti ? "NOT " : "") +
           "EXISTS (SELECT 1 FROM " + from_r + " WHERE " + on + ")";
  }
  const char* how = kind == JoinKind::kInner   ? "JOIN"
                    : kind == JoinKind::kLeft  ? "LEFT JOIN"
                    : kind == JoinKind::kRight ? "RIGHT JOIN"
                                               : "FULL JOIN";
  return std::string("SELECT COALESCE(l.s, r.s) AS s, COALESCE(l.i::BIGINT, r.i) AS i, l.lv, ") +
         "l.x, r.rv, r.x AS x_right FROM " + from_l + " " + how + " " + from_r + " ON " + on;
}

class JoinDuckDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SetLogLevel(LogLevel::kError); }

  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    dir_ = fs::temp_directory_path() /
           ("sluice_join_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "spill");
    // Left: 3 files of 20,000 rows, keys (s string, i int32); right: 2 files of 15,000 rows,
    // keys (s string, i int64). Nulls in both keys, duplicates everywhere.
    for (int f = 0; f < 3; ++f) {
      left_.push_back((dir_ / ("left-" + std::to_string(f) + ".parquet")).string());
      duckdb_->Query("SELECT setseed(0." + std::to_string(f + 1) + ")");
      duckdb_->Query(
          "COPY (SELECT CASE WHEN random() < 0.05 THEN NULL ELSE 'k' || (random() * 400)::INT "
          "END AS s, CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 20)::INT END AS i, "
          "range AS lv, 'left ' || range AS x FROM range(20000)) TO '" +
          left_.back() + "' (FORMAT parquet, ROW_GROUP_SIZE 5000)");
    }
    for (int f = 0; f < 2; ++f) {
      right_.push_back((dir_ / ("right-" + std::to_string(f) + ".parquet")).string());
      duckdb_->Query("SELECT setseed(0." + std::to_string(f + 5) + ")");
      duckdb_->Query(
          "COPY (SELECT CASE WHEN random() < 0.05 THEN NULL ELSE 'k' || (random() * 500)::INT "
          "END AS s, CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 20)::BIGINT END AS i, "
          "random() * 100 AS rv, 'right ' || range AS x FROM range(15000)) TO '" +
          right_.back() + "' (FORMAT parquet, ROW_GROUP_SIZE 4000)");
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string List(const std::vector<std::string>& files) {
    std::string list = "[";
    for (const std::string& f : files) list += (list.size() > 1 ? ", '" : "'") + f + "'";
    return list + "]";
  }

  JoinResult Ours(JoinKind kind, int64_t memory) {
    JoinSpec spec;
    spec.left_keys = {"s", "i"};
    spec.kind = kind;
    JoinOptions options;
    options.run.cpu_threads = 2;
    options.run.memory_budget = memory;
    options.spill_dir = (dir_ / "spill").string();
    return RunHashJoin(*TableScan::Open(left_), *TableScan::Open(right_), spec, options);
  }

  int64_t DataBytes() {
    return TableScan::Open(left_)->data_bytes() + TableScan::Open(right_)->data_bytes();
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
  std::vector<std::string> left_;
  std::vector<std::string> right_;
};

TEST_F(JoinDuckDbTest, EveryKindMatchesDuckDbInMemoryAndWhenSpilling) {
  const int64_t small = DataBytes() / 20;
  for (JoinKind kind : {JoinKind::kInner, JoinKind::kLeft, JoinKind::kRight, JoinKind::kFull,
                        JoinKind::kSemi, JoinKind::kAnti}) {
    SCOPED_TRACE(JoinKindName(kind));
    const std::vector<std::string> expected =
        RowTexts({duckdb_->Query(DuckDbJoin(kind, List(left_), List(right_)))});
    EXPECT_GT(expected.size(), 1000u);
    JoinResult plenty = Ours(kind, 256 << 20);
    EXPECT_EQ(plenty.strategy, "in_memory");
    EXPECT_EQ(plenty.build_side, JoinSide::kRight);
    EXPECT_EQ(RowTexts(plenty.batches), expected);
    JoinResult spilled = Ours(kind, small);
    EXPECT_EQ(spilled.strategy, "grace");
    EXPECT_GT(spilled.spilled_bytes, 0);
    EXPECT_EQ(RowTexts(spilled.batches), expected);
    EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
  }
}

using testing::CommandRun;
CommandRun RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

TEST_F(JoinDuckDbTest, CommandWritesWhatDuckDbComputesAndReportsPartitions) {
  const std::string inputs =
      "'" + (dir_ / "left-*.parquet").string() + "' '" + (dir_ / "right-*.parquet").string() + "'";
  const std::string spill = (dir_ / "spill").string();
  const std::string report = (dir_ / "report.json").string();
  const std::string expected = DuckDbJoin(JoinKind::kFull, List(left_), List(right_));
  for (const char* ext : {".csv", ".parquet"}) {
    const std::string out = (dir_ / (std::string("out") + ext)).string();
    CommandRun r = RunSluice("join " + inputs + " --on s,i --how full -o " + out +
                             " --memory 1MiB --spill-dir " + spill + " --report " + report);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("by partitions (Grace)"), std::string::npos) << r.out;
    EXPECT_TRUE(fs::is_empty(spill));
    const std::string read = std::string(ext) == ".csv" ? "read_csv('" + out + "', header = true)"
                                                        : "read_parquet('" + out + "')";
    RecordBatch diff = duckdb_->Query(
        "SELECT count(*) FROM ((SELECT s, i, lv, x, rv, x_right FROM " + read + ") EXCEPT ALL (" +
        expected + ")) UNION ALL SELECT count(*) FROM ((" + expected +
        ") EXCEPT ALL (SELECT s, i, lv, x, rv, x_right FROM " + read + "))");
    ASSERT_EQ(diff.num_rows(), 2);
    EXPECT_EQ(diff.column(0).Value<int64_t>(0), 0) << out;
    EXPECT_EQ(diff.column(0).Value<int64_t>(1), 0) << out;
    std::ifstream in(report);
    const nlohmann::json json = nlohmann::json::parse(in);
    EXPECT_EQ(json["join"]["strategy"], "grace");
    EXPECT_GT(json["join"]["spilled_bytes"].get<int64_t>(), 0);
    ASSERT_GE(json["join"]["partition_stats"].size(), 2u);
    EXPECT_TRUE(json["join"]["partition_stats"][0].contains("spilled_bytes"));
    EXPECT_GE(json["pipelines"].size(), 3u);
  }
}

TEST_F(JoinDuckDbTest, CommandErrorsNameTheColumnOrTypesAndLeaveNothingBehind) {
  const std::string inputs =
      "'" + (dir_ / "left-*.parquet").string() + "' '" + (dir_ / "right-*.parquet").string() + "'";
  const std::string spill = " --spill-dir " + (dir_ / "spill").string();
  const std::string out = (dir_ / "bad.csv").string();
  CommandRun r = RunSluice("join " + inputs + " --on s,nope -o " + out + spill);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("nope"), std::string::npos) << r.out;
  r = RunSluice("join " + inputs + " --on s=rv -o " + out + spill);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("'s' is string"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("'rv' is float64"), std::string::npos) << r.out;
  r = RunSluice("join " + inputs + " --on s --how sideways -o " + out + spill);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("sideways"), std::string::npos) << r.out;
  r = RunSluice("join " + inputs + " --on s,i -o " +
                (dir_ / "no-such-dir" / "out.parquet").string() + spill + " --memory 1MiB");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no-such-dir"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(dir_ / "spill"));
  r = RunSluice("join --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--spill-dir"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sluice
