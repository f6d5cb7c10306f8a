// Operators carry nested columns as payload, checked by DuckDB: DuckDB writes an input with flat
// keys, a list-of-struct column and a map column (nulls and empty lists among them); the real
// binary runs `groupby` (first, last, count), `distinct --by`, `sort`, `join` (inner, left, full)
// and `batch`, in memory and made to spill, and DuckDB's own answer to the same query is the
// same multiset of rows (EXCEPT ALL both ways). A nested column used as a key, or given to
// another aggregate, is refused with an error naming it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/table/concat.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

using Result = testing::CommandRun;
Result RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

// One input file's rows: v numbers the rows in stream order (files in name order), k (41
// values), g (a few rows each) and j are flat keys, tags a list of structs and attrs a map.
std::string InputRows(int64_t base, int rows) {
  return fmt::format(
      "SELECT {0} + i AS v, ((i * 7) % 41)::INTEGER AS k, (({0} + i) * 7919 % 100003) AS g, "
      "CASE WHEN i % 13 = 0 THEN NULL ELSE 'j' || (i % 5)::VARCHAR END AS j, "
      "CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN [] ELSE "
      "  [{{'name': 'n' || (i % 9)::VARCHAR, "
      "    'w': CASE WHEN i % 3 = 0 THEN NULL ELSE i::INTEGER END}}, NULL] END AS tags, "
      "CASE WHEN i % 9 = 0 THEN NULL WHEN i % 8 = 0 THEN MAP {{}}::MAP(VARCHAR, INTEGER) "
      "  ELSE MAP {{'a' || (i % 4)::VARCHAR: i::INTEGER, "
      "            'z': CASE WHEN i % 2 = 0 THEN NULL ELSE (-i)::INTEGER END}} END AS attrs "
      "FROM range({1}) t(i)",
      base, rows);
}

// A budget small enough that group-by and distinct by g, sort and join spill.
constexpr const char* kSpill = " --memory 16MiB --threads 2";

class OpsNestedDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "DuckDB from npm is not installed (npm ci)");
    fs::create_directories(in_dir_);
    for (int f = 0; f < 2; ++f) {
      duckdb_->Query(fmt::format("COPY ({}) TO '{}/f{}.parquet' (FORMAT parquet, {})",
                                 InputRows(int64_t{f} * kRows, kRows), in_dir_, f,
                                 "ROW_GROUP_SIZE 4000"));
    }
    duckdb_->Query(fmt::format(
        "COPY (SELECT (i % 50)::INTEGER AS k, [i, i + 1]::BIGINT[] AS r_list, "
        "CASE WHEN i % 4 = 0 THEN NULL ELSE {{'s': 'r' || i::VARCHAR, 'm': MAP {{i: 'x'}}}} END "
        "AS r_struct FROM range(60) t(i)) TO '{}' (FORMAT parquet)",
        right_));
  }

  // DuckDB finds the same multiset of rows in our output (`ours`, a query) as in `theirs`.
  void ExpectSameRows(const std::string& ours, const std::string& theirs) {
    testing::MultisetDifference d = testing::CompareMultisets(*duckdb_, ours, theirs);
    EXPECT_EQ(d.only_ours, 0) << ours;
    EXPECT_EQ(d.only_theirs, 0) << theirs;
    RecordBatch n = duckdb_->Query("SELECT count(*) FROM (" + ours + ")");
    EXPECT_GT(n.column(0).Value<int64_t>(0), 0) << ours;
  }

  std::string Out(const std::string& name) const { return scratch_.Path(name); }
  std::string Read(const std::string& path) const {
    return "SELECT * FROM read_parquet('" + path + "')";
  }

  static constexpr int kRows = 150000;
  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  ScratchDir scratch_{"sluice-ops-nested"};
  const std::string in_dir_ = scratch_.Path("in");
  const std::string in_ = in_dir_ + "/*.parquet";
  const std::string right_ = scratch_.Path("right.parquet");
};

// By k, 41 groups held in memory; by g, a few rows per group, spilled and merged.
TEST_F(OpsNestedDuckDbTest, GroupByKeepsFirstAndLastNestedValuesAndCountsThem) {
  for (const auto& [key, extra] : {std::pair{"k", ""}, std::pair{"g", kSpill}}) {
    SCOPED_TRACE(key);
    const std::string theirs = fmt::format(
        "SELECT {0}, first(tags ORDER BY v) AS ft, last(tags ORDER BY v) AS lt, "
        "first(attrs ORDER BY v) AS fa, last(attrs ORDER BY v) AS la, count(tags) AS ct, "
        "count(attrs) AS ca FROM read_parquet('{1}') GROUP BY {0}",
        key, in_);
    const std::string out = Out("groupby.parquet");
    Result r = RunSluice(fmt::format(
        "groupby '{}' --by {} --agg 'first(tags) as ft, last(tags) as lt, first(attrs) as fa, "
        "last(attrs) as la, count(tags) as ct, count(attrs) as ca' -o {}{}",
        in_, key, out, extra));
    ASSERT_EQ(r.status, 0) << r.out;
    if (*extra) {
      EXPECT_NE(r.out.find("groupby: spilled"), std::string::npos) << r.out;
    }
    ExpectSameRows(fmt::format("SELECT {}, ft, lt, fa, la, ct::BIGINT, ca::BIGINT FROM "
                               "read_parquet('{}')",
                               key, out),
                   theirs);
  }
}

TEST_F(OpsNestedDuckDbTest, DistinctByKeepsEachKeysFirstRowWhole) {
  for (const auto& [by, extra] :
       {std::pair{"k", ""}, std::pair{"k,j", ""}, std::pair{"g,j", kSpill}}) {
    SCOPED_TRACE(by);
    const std::string theirs = fmt::format(
        "SELECT v, k, g, j, tags, attrs FROM read_parquet('{}') "
        "QUALIFY row_number() OVER (PARTITION BY {} ORDER BY v) = 1",
        in_, by);
    const std::string out = Out("distinct.parquet");
    Result r = RunSluice(fmt::format("distinct '{}' --by {} -o {}{}", in_, by, out, extra));
    ASSERT_EQ(r.status, 0) << r.out;
    if (*extra) {
      EXPECT_NE(r.out.find("distinct: spilled"), std::string::npos) << r.out;
    }
    ExpectSameRows(Read(out), theirs);
  }
}

// Rows come out in key order with their nested values, spilled runs merged or not.
TEST_F(OpsNestedDuckDbTest, SortCarriesNestedColumns) {
  for (const char* extra : {"", kSpill}) {
    SCOPED_TRACE(extra);
    const std::string out = Out("sorted.parquet");
    Result r = RunSluice(fmt::format("sort '{}' --by k,v -o {}{}", in_, out, extra));
    ASSERT_EQ(r.status, 0) << r.out;
    if (*extra) {
      EXPECT_EQ(r.out.find(" 0 spilled"), std::string::npos) << r.out;
    }
    ExpectSameRows(Read(out), fmt::format("SELECT * FROM read_parquet('{}')", in_));
    auto reader = parquet::ParquetFileReader::Open(out);
    parquet::ParquetReadOptions options;
    options.columns = {"k", "v"};
    std::vector<RecordBatch> batches = reader->ReadAll(options);
    RecordBatch all = Concat(batches);
    ASSERT_EQ(all.num_rows(), 2 * kRows);
    for (int64_t i = 1; i < all.num_rows(); ++i) {
      auto before =
          std::make_pair(all.column(0).Value<int32_t>(i - 1), all.column(1).Value<int64_t>(i - 1));
      auto here = std::make_pair(all.column(0).Value<int32_t>(i), all.column(1).Value<int64_t>(i));
      ASSERT_LT(before, here) << "row " << i;
    }
  }
}

// CSV output holds nested values as JSON text, as `sluice cat` prints them, which DuckDB parses
// back to the same values.
TEST_F(OpsNestedDuckDbTest, CsvOutputHoldsNestedValuesAsJson) {
  const std::string out = Out("sorted.csv");
  Result r = RunSluice(fmt::format("sort '{}' --by v -o {}", in_, out));
  ASSERT_EQ(r.status, 0) << r.out;
  RecordBatch cells = duckdb_->Query(fmt::format(
      "SELECT count(*) FROM read_csv('{0}', all_varchar = true) c JOIN read_parquet('{1}') p "
      "ON c.v::BIGINT = p.v WHERE c.tags IS NOT DISTINCT FROM to_json(p.tags)::VARCHAR "
      "AND c.attrs IS NOT DISTINCT FROM to_json(p.attrs)::VARCHAR",
      out, in_));
  EXPECT_EQ(cells.column(0).Value<int64_t>(0), 2 * kRows);
}

// The big input on either side of the small one (the small side is built in memory), for inner,
// left and full joins; then the big input joined to itself on g, built by Grace partitions that
// spill.
TEST_F(OpsNestedDuckDbTest, JoinCarriesNestedColumnsOfBothSides) {
  const std::string big = fmt::format("read_parquet('{}')", in_);
  const std::string small = fmt::format("read_parquet('{}')", right_);
  const std::string big_columns = "v, g, j, tags, attrs";
  const std::string small_columns = "r_list, r_struct";
  const std::string out = Out("joined.parquet");
  for (bool big_left : {true, false}) {
    for (const char* how : {"inner", "left", "full"}) {
      SCOPED_TRACE(fmt::format("{} big on the {}", how, big_left ? "left" : "right"));
      const std::string theirs =
          fmt::format("SELECT coalesce(a.k, b.k) AS k, {}, {} FROM {} a {} JOIN {} b ON a.k = b.k",
                      big_left ? "a.v, a.g, a.j, a.tags, a.attrs" : "a.r_list, a.r_struct",
                      big_left ? "b.r_list, b.r_struct" : "b.v, b.g, b.j, b.tags, b.attrs",
                      big_left ? big : small, how, big_left ? small : big);
      const std::string ours = fmt::format("SELECT k, {}, {} FROM read_parquet('{}')",
                                           big_left ? big_columns : small_columns,
                                           big_left ? small_columns : big_columns, out);
      Result run =
          RunSluice(fmt::format("join '{}' '{}' --on k --how {} -o {}{}", big_left ? in_ : right_,
                                big_left ? right_ : in_, how, out, kSpill));
      ASSERT_EQ(run.status, 0) << run.out;
      ExpectSameRows(ours, theirs);
    }
  }
  const std::string theirs = fmt::format(
      "SELECT a.v, a.k, a.g, a.j, a.tags, a.attrs, b.v, b.k, b.j, b.tags, b.attrs "
      "FROM {0} a JOIN {0} b ON a.g = b.g",
      big);
  Result run = RunSluice(fmt::format("join '{0}' '{0}' --on g -o {1}{2}", in_, out, kSpill));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("(Grace)"), std::string::npos) << run.out;
  ExpectSameRows(fmt::format("SELECT v, k, g, j, tags, attrs, v_right, k_right, j_right, "
                             "tags_right, attrs_right FROM read_parquet('{}')",
                             out),
                 theirs);
}

// batch splits its input into chunks (Parquet files holding the nested columns) and a task that
// copies its chunk publishes the input's rows.
TEST_F(OpsNestedDuckDbTest, BatchChunksCarryNestedColumns) {
  const std::string out = Out("batched");
  Result r = RunSluice(
      fmt::format("batch -i '{}' --by k --chunks 4 -o {} --retry-delay 0.05 --max-attempts 1 -- "
                  "sh -c 'cp \"$0\" \"$1\"' {{input}} {{output}}",
                  in_, out));
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows(Read(out + "/*.parquet"), fmt::format("SELECT * FROM read_parquet('{}')", in_));
}

TEST_F(OpsNestedDuckDbTest, NestedKeysAreRefusedNamingTheColumn) {
  const std::string out = Out("refused.parquet");
  const std::string commands[] = {
      fmt::format("groupby '{}' --by tags --agg 'count(*)' -o {}", in_, out),
      fmt::format("distinct '{}' --by k,tags -o {}", in_, out),
      fmt::format("distinct '{}' -o {}", in_, out),
      fmt::format("sort '{}' --by tags -o {}", in_, out),
      fmt::format("sort '{}' --by k --top 3 --per tags -o {}", in_, out),
      fmt::format("join '{}' '{}' --on tags -o {}", in_, in_, out),
      fmt::format("batch -i '{}' --by tags -o {} -- cp {{input}} {{output}}", in_,
                  Out("refused_batch"))};
  for (const std::string& command : commands) {
    SCOPED_TRACE(command);
    Result r = RunSluice(command);
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("is a nested column"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tags"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(out));
  }
}

// A nested column takes first, last and count; another aggregate of one is refused naming it.
TEST_F(OpsNestedDuckDbTest, OtherAggregatesOfNestedColumnsAreRefused) {
  for (const char* agg : {"min(tags)", "max(attrs)", "count_distinct(tags)", "sum(tags)"}) {
    SCOPED_TRACE(agg);
    Result r = RunSluice(
        fmt::format("groupby '{}' --by k --agg '{}' -o {}", in_, agg, Out("refused.parquet")));
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("of a nested column"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace sluice
