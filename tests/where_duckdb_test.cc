// `--where` end to end against DuckDB's WHERE: inputs written by DuckDB (every column type, with
// nulls, empty strings, NaN and -0.0, several files and row groups); `sluice sort`, `groupby`,
// `distinct`, `join` (per side), `cat`, `bloom` and CSV inputs filtered with the same expression
// text DuckDB runs, results compared as multisets (EXCEPT ALL both ways). Row groups the statistics
// rule out are skipped and counted in the summary line and the report, and so are the pages the
// page index rules out inside row groups that are read; bad expressions fail with the column and
// position named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/file_writer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using testing::CommandRun;

CommandRun RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

// Expressions both sluice and DuckDB read the same way.
const char* const kWheres[] = {
    "i > 3 AND s LIKE 'k1%'",
    "NOT (i < 0) OR x IS NULL",
    "x > 5",
    "x = 'nan' OR x = 0",
    "x >= -0.0 AND x < 3",
    "s = '' OR s IS NULL",
    "s NOT LIKE '%7%'",
    "s IN ('k10', 'k200', '') AND i IS NOT NULL",
    "d >= '2026-01-15' AND b",
    "NOT b",
    "ts < '2026-01-01 00:01:00'",
    "dec > 10.5 OR dec IN (0, -1.25)",
    "i IN (1, 2, 3) AND NOT b",
    "i != 2.5 AND i <= 2.5",
    "f < 2.5",
    "u >= 200",
    "id >= 100000 AND id < 100050",
    "id < 0",
};

class WhereDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    dir_ = fs::temp_directory_path() /
           ("sluice_where_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Three files of 40,000 rows in row groups of 10,000, id ascending across them.
    for (int f = 0; f < 3; ++f) {
      files_.push_back((dir_ / ("part-" + std::to_string(f) + ".parquet")).string());
      duckdb_->Query("SELECT setseed(0." + std::to_string(f + 1) + ")");
      duckdb_->Query(
          "COPY (SELECT " + std::to_string(f) +
          " * 40000 + range AS id, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 50)::INT - 25 END AS i, "
          "CASE WHEN random() < 0.05 THEN NULL WHEN random() < 0.03 THEN '' "
          "ELSE 'k' || (random() * 300)::INT END AS s, "
          "CASE WHEN random() < 0.05 THEN NULL WHEN random() < 0.03 THEN 'nan'::DOUBLE "
          "WHEN random() < 0.02 THEN -0.0::DOUBLE ELSE round(random() * 20, 1) - 10 END AS x, "
          "(random() * 10)::REAL - 5 AS f, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE DATE '2026-01-01' + (random() * 30)::INT "
          "END AS d, "
          "TIMESTAMP '2026-01-01' + to_seconds((random() * 100)::BIGINT) AS ts, "
          "(((random() * 2000)::INT - 1000) / 8)::DECIMAL(18, 3) AS dec, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.5 END AS b, "
          "(random() * 255)::UTINYINT AS u "
          "FROM range(40000)) TO '" +
          files_.back() + "' (FORMAT parquet, ROW_GROUP_SIZE 10000)");
    }
    inputs_ = "'" + (dir_ / "part-*.parquet").string() + "'";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Input() const {
    std::string list = "[";
    for (const std::string& f : files_) list += (list.size() > 1 ? ", '" : "'") + f + "'";
    return "read_parquet(" + list + "])";
  }

  // Both multisets equal: ours (a FROM item's columns) and DuckDB's query.
  void ExpectSameRows(const std::string& ours, const std::string& theirs, const std::string& what) {
    const testing::MultisetDifference diff = testing::CompareMultisets(*duckdb_, ours, theirs);
    EXPECT_EQ(diff.only_ours, 0) << what << ": rows only sluice kept";
    EXPECT_EQ(diff.only_theirs, 0) << what << ": rows only DuckDB kept";
  }

  int64_t Count(const std::string& query) {
    return duckdb_->Query("SELECT count(*) FROM (" + query + ")").column(0).Value<int64_t>(0);
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
  std::vector<std::string> files_;
  std::string inputs_;
};

TEST_F(WhereDuckDbTest, SortGroupByAndDistinctKeepWhatDuckDbsWhereKeeps) {
  const std::string out = (dir_ / "out.parquet").string();
  // DuckDB's EXCEPT ALL does not always match a NaN read back with one its filter kept, so x
  // is compared as text.
  const std::string mine = "SELECT * FROM read_parquet('" + out + "')";
  const std::string sorted = "SELECT * REPLACE (x::VARCHAR AS x) FROM read_parquet('" + out + "')";
  for (const char* where : kWheres) {
    SCOPED_TRACE(where);
    const std::string filtered =
        "SELECT * REPLACE (x::VARCHAR AS x) FROM " + Input() + " WHERE " + where;
    ASSERT_GT(Count(filtered) + (std::string(where) == "id < 0"), 0) << "a test that tests nothing";

    CommandRun r = RunSluice("sort " + inputs_ + " --by id --where \"" + where + "\" -o " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    ExpectSameRows(sorted, filtered, "sort");

    r = RunSluice("groupby " + inputs_ + " --by b --agg 'count(*) as n, sum(i) as si, min(s) as " +
                  "ms' --where \"" + where + "\" -o " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    ExpectSameRows(mine,
                   "SELECT b, count(*) AS n, sum(i)::BIGINT AS si, min(s) AS ms FROM " + Input() +
                       " WHERE " + where + " GROUP BY b",
                   "groupby");

    r = RunSluice("distinct " + inputs_ + " --by s --where \"" + where + "\" -o " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    ExpectSameRows("SELECT s FROM read_parquet('" + out + "')",
                   "SELECT DISTINCT s FROM " + Input() + " WHERE " + where, "distinct");
  }
}

TEST_F(WhereDuckDbTest, TopNJoinPerSideCatAndCsvInputs) {
  const std::string out = (dir_ / "out.parquet").string();
  const char* where = "i > 3 AND s LIKE 'k1%'";
  CommandRun r =
      RunSluice("sort " + inputs_ + " --by x:desc,id --top 7 --where \"" + where + "\" -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows(
      "SELECT * FROM read_parquet('" + out + "')",
      "SELECT * FROM " + Input() + " WHERE " + where + " ORDER BY x DESC NULLS LAST, id LIMIT 7",
      "top 7");
  r = RunSluice("sort " + inputs_ + " --by id --top 2 --per b --where \"" + where + "\" -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows("SELECT * FROM read_parquet('" + out + "')",
                 "SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY b ORDER "
                 "BY id) AS rn FROM " +
                     Input() + " WHERE " + where + ") WHERE rn <= 2",
                 "top 2 per b");

  const std::string right = (dir_ / "right.parquet").string();
  duckdb_->Query("COPY (SELECT range::INT AS i, 'n' || range AS name FROM range(-30, 30)) TO '" +
                 right + "' (FORMAT parquet)");
  r = RunSluice("join " + inputs_ + " " + right + " --on i --where 'x > 0' --right-where \"name " +
                "LIKE 'n1%' OR i < -20\" -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("--left-where 'x > 0'"), std::string::npos) << r.out;
  ExpectSameRows("SELECT id, i, name FROM read_parquet('" + out + "')",
                 "SELECT l.id, l.i, r.name FROM " + Input() + " l JOIN read_parquet('" + right +
                     "') r USING (i) WHERE l.x > 0 AND (r.name LIKE 'n1%' OR r.i < -20)",
                 "join");

  int status = 0;
  const std::string printed =
      testing::CommandOutput(std::string(SLUICE_BINARY) + " cat " + files_[1] +
                                 " --columns id,s --where \"" + where + "\" | wc -l",
                             &status);
  EXPECT_EQ(std::stoll(printed),
            Count("SELECT * FROM read_parquet('" + files_[1] + "') WHERE " + where) + 1);

  const std::string csv = (dir_ / "part-0.csv").string();
  duckdb_->Query("COPY (SELECT id, i, s, x FROM read_parquet('" + files_[0] + "')) TO '" + csv +
                 "' (HEADER)");
  for (const char* csv_where : {"i > 3 AND s LIKE 'k1%'", "x > 5 OR s = ''", "i IS NULL"}) {
    SCOPED_TRACE(csv_where);
    r = RunSluice("groupby " + csv + " --by i --agg 'count(*) as n' --where \"" + csv_where +
                  "\" -o " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    ExpectSameRows("SELECT * FROM read_parquet('" + out + "')",
                   "SELECT i, count(*) AS n FROM read_parquet('" + files_[0] + "') WHERE " +
                       csv_where + " GROUP BY i",
                   "csv groupby");
  }
}

TEST_F(WhereDuckDbTest, BatchChunksHoldOnlyPassingRows) {
  const std::string out = (dir_ / "batch").string();
  const char* where = "i > 3 AND s LIKE 'k1%'";
  int status = 0;
  const std::string printed = testing::CommandOutput(
      std::string(SLUICE_BINARY) + " batch -i " + inputs_ + " --by b --chunks 3 --where \"" +
          where + "\" -o " + out + " --progress off -- cp {input} {output} 2>&1",
      &status);
  ASSERT_EQ(status, 0) << printed;
  ExpectSameRows("SELECT * REPLACE (x::VARCHAR AS x) FROM read_parquet('" + out + "/*.parquet')",
                 "SELECT * REPLACE (x::VARCHAR AS x) FROM " + Input() + " WHERE " + where, "batch");
}

TEST_F(WhereDuckDbTest, BloomHashesOnlyPassingRows) {
  const char* where = "i > 3 AND s LIKE 'k1%'";
  const std::string csv = (dir_ / "part-0.csv").string();
  duckdb_->Query("COPY (SELECT id, i, s, x FROM read_parquet('" + files_[0] + "')) TO '" + csv +
                 "' (HEADER)");
  const std::string members = (dir_ / "members.txt").string();
  const std::string others = (dir_ / "others.txt").string();
  const std::string filter = (dir_ / "s.bloom").string();
  const std::string report = (dir_ / "report.json").string();
  for (const std::string& input : {inputs_, csv}) {
    SCOPED_TRACE(input);
    const std::string table =
        input == csv ? "read_parquet('" + files_[0] + "')" : Input();  // the same rows
    duckdb_->Query("COPY (SELECT DISTINCT s FROM " + table + " WHERE " + where + ") TO '" +
                   members + "' (HEADER false)");
    duckdb_->Query("COPY (SELECT DISTINCT s FROM " + table +
                   " WHERE s LIKE 'k2%' EXCEPT SELECT s " + "FROM " + table + " WHERE " + where +
                   ") TO '" + others + "' (HEADER false)");
    CommandRun r = RunSluice("bloom " + input + " --column s --where \"" + where + "\" -o " +
                             filter + " --report " + report);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(std::string("--where '") + where + "'"), std::string::npos) << r.out;
    std::ifstream report_in(report);
    const nlohmann::json json = nlohmann::json::parse(report_in);
    const int64_t passing = Count("SELECT * FROM " + table + " WHERE " + where);
    EXPECT_EQ(json["where"]["rows_passed"].get<int64_t>(), passing);
    int status = 0;
    // Every passing value is in; values of rows the filter drops are (but for false positives)
    // not.
    EXPECT_EQ(std::stoll(testing::CommandOutput(std::string(SLUICE_BINARY) + " bloom check " +
                                                    "--count " + filter + " < " + members,
                                                &status)),
              Count("SELECT DISTINCT s FROM " + table + " WHERE " + where));
    EXPECT_LT(std::stoll(testing::CommandOutput(std::string(SLUICE_BINARY) + " bloom check " +
                                                    "--count " + filter + " < " + others,
                                                &status)),
              Count("SELECT * FROM read_csv('" + others + "', header = false)") / 10);
  }
}

TEST_F(WhereDuckDbTest, RowGroupsTheStatisticsRuleOutAreSkippedAndReported) {
  const std::string out = (dir_ / "out.parquet").string();
  const std::string report = (dir_ / "report.json").string();
  CommandRun r = RunSluice("sort " + inputs_ + " --by id --where 'id < 5000 AND i > 0' -o " + out +
                           " --report " + report);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("11 of 12 row groups skipped by statistics"), std::string::npos) << r.out;
  std::ifstream in(report);
  const nlohmann::json json = nlohmann::json::parse(in);
  EXPECT_EQ(json["where"]["row_groups_skipped"], 11);
  // DuckDB's row groups hold about 10,000 rows (whole vectors of 2,048).
  EXPECT_EQ(
      json["where"]["rows_read"].get<int64_t>() + json["where"]["rows_skipped"].get<int64_t>(),
      120000);
  EXPECT_LT(json["where"]["rows_read"].get<int64_t>(), 12000);
  EXPECT_EQ(json["where"]["rows_passed"],
            Count("SELECT * FROM " + Input() + " WHERE id < 5000 AND i > 0"));

  r = RunSluice("groupby " + inputs_ + " --by i --agg 'count(*)' --where 'id >= 115000' -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("11 of 12 row groups skipped"), std::string::npos) << r.out;
}

TEST_F(WhereDuckDbTest, PagesThePageIndexRulesOutAreNotReadInRowGroupsThatAre) {
  // The first file's rows rewritten by sluice's writer with a page index and small pages (DuckDB
  // writes no page index): two row groups of 20,000 rows, pages of a few hundred rows whose
  // boundaries differ between columns; data pages v1 and v2.
  const RecordBatch rows = duckdb_->Query("SELECT * FROM read_parquet('" + files_[0] + "')");
  ASSERT_EQ(rows.num_rows(), 40000);
  const std::string out = (dir_ / "out.parquet").string();
  const std::string report = (dir_ / "report.json").string();
  for (bool v2 : {false, true}) {
    const std::string in = (dir_ / ("paged-" + std::to_string(v2) + ".parquet")).string();
    parquet::ParquetWriteOptions options;
    options.row_group_rows = 20000;
    options.page_index = true;
    options.column.page_size = 2048;
    options.column.data_page_v2 = v2;
    auto writer = parquet::ParquetWriter::Open(in, rows.shared_schema(), options);
    writer->Write(rows);
    writer->Close();
    const std::string input = "read_parquet('" + in + "')";
    // DuckDB 1.5 prunes `x = 'nan'` wrongly by statistics that leave NaN out, as the format
    // says they must (and sluice writes them): it is asked for isnan(x) instead.
    for (const auto& [where, theirs] : std::vector<std::pair<std::string, std::string>>{
             {"id >= 13000 AND id < 14500", ""},
             {"id >= 13000 AND id < 14500 AND (s = '' OR x > 5)", ""},
             {"(id < 100 OR id >= 39900) AND i IS NULL", ""},
             {"id >= 25000 AND id < 25600 AND x = 'nan'",
              "id >= 25000 AND id < 25600 AND isnan(x)"},
             {"id > 31000 AND id <= 31077 AND (s IS NULL OR s LIKE 'k2%' OR NOT b)", ""}}) {
      const std::string duckdb_where = theirs.empty() ? where : theirs;
      SCOPED_TRACE(::testing::Message() << where << " v2 " << v2);
      CommandRun r = RunSluice("sort " + in + " --by id --where \"" + where + "\" -o " + out +
                               " --report " + report);
      ASSERT_EQ(r.status, 0) << r.out;
      EXPECT_NE(r.out.find("skipped by the page index"), std::string::npos) << r.out;
      ExpectSameRows("SELECT * REPLACE (x::VARCHAR AS x) FROM read_parquet('" + out + "')",
                     "SELECT * REPLACE (x::VARCHAR AS x) FROM " + input + " WHERE " + duckdb_where,
                     "sort");
      std::ifstream report_in(report);
      const nlohmann::json json = nlohmann::json::parse(report_in);
      EXPECT_GT(json["where"]["pages_skipped"].get<int64_t>(), 0);
      EXPECT_GT(json["where"]["page_rows_skipped"].get<int64_t>(), 15000);
      EXPECT_EQ(json["where"]["rows_read"].get<int64_t>() +
                    json["where"]["page_rows_skipped"].get<int64_t>() +
                    json["where"]["rows_skipped"].get<int64_t>(),
                40000);

      r = RunSluice("groupby " + in + " --by b --agg 'count(*) as n, sum(i) as si, min(s) as " +
                    "ms, max(x) as mx' --where \"" + where + "\" -o " + out);
      ASSERT_EQ(r.status, 0) << r.out;
      ExpectSameRows("SELECT * REPLACE (mx::VARCHAR AS mx) FROM read_parquet('" + out + "')",
                     "SELECT b, count(*) AS n, sum(i)::BIGINT AS si, min(s) AS ms, "
                     "max(x)::VARCHAR AS mx FROM " +
                         input + " WHERE " + duckdb_where + " GROUP BY b",
                     "groupby");

      r = RunSluice("distinct " + in + " --by s,i --where \"" + where + "\" -o " + out);
      ASSERT_EQ(r.status, 0) << r.out;
      ExpectSameRows("SELECT s, i FROM read_parquet('" + out + "')",
                     "SELECT DISTINCT s, i FROM " + input + " WHERE " + duckdb_where, "distinct");
    }
  }
}

TEST_F(WhereDuckDbTest, BloomFiltersSkipRowGroupsMinAndMaxCannotRuleOut) {
  // Row group g holds the values 4k + g: every row group spans the same range, so only the Bloom
  // filters DuckDB writes for dictionary-encoded columns can tell them apart.
  const std::string in = (dir_ / "bloom.parquet").string();
  duckdb_->Query(
      "COPY (SELECT range AS id, 'k' || ((range % 500) * 4 + range // 10240) AS s, "
      "((range % 500) * 4 + range // 10240)::INT AS i FROM range(40960)) TO '" +
      in + "' (FORMAT parquet, ROW_GROUP_SIZE 10240)");
  const std::string out = (dir_ / "out.parquet").string();
  struct Case {
    std::string where;
    int skipped;   // row groups
    int by_bloom;  // of those, the ones min and max let through ('k1' < 'k10', the min of 2)
  };
  for (const auto& [where, skipped, by_bloom] :
       std::vector<Case>{{"s = 'k1'", 3, 1},
                         {"i = 5", 3, 3},
                         {"i IN (5, 6) AND s > 'k'", 2, 2},
                         {"s IN ('k2', 'k7') OR i = 1", 1, 1},
                         {"s = 'k1' OR i > 0", 0, 0}}) {
    SCOPED_TRACE(where);
    CommandRun r = RunSluice("sort " + in + " --by id --where \"" + where + "\" -o " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(std::to_string(skipped) + " of 4 row groups skipped"), std::string::npos)
        << r.out;
    if (by_bloom > 0) {
      EXPECT_NE(r.out.find(std::to_string(by_bloom) + " of them by Bloom filters"),
                std::string::npos)
          << r.out;
    }
    ExpectSameRows("SELECT * FROM read_parquet('" + out + "')",
                   "SELECT * FROM read_parquet('" + in + "') WHERE " + where, "sort");
  }
}

TEST_F(WhereDuckDbTest, BadExpressionsFailNamingTheColumnOrPosition) {
  const std::string out = (dir_ / "bad.parquet").string();
  CommandRun r = RunSluice("groupby " + inputs_ + " --by i --agg 'count(*)' --where 'nope > 1' " +
                           "-o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("unknown column 'nope' at position 1"), std::string::npos) << r.out;
  r = RunSluice("sort " + inputs_ + " --by id --where 'i >' -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("expected a literal"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("position 4"), std::string::npos) << r.out;
  r = RunSluice("distinct " + inputs_ + " --where \"s > 3\" -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("column 's' (string)"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  r = RunSluice("sort --help");
  EXPECT_NE(r.out.find("--where"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IS [NOT] NULL"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sluice
