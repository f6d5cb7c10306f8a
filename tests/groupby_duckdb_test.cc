// Group-by results against DuckDB: inputs written by DuckDB (random keys with nulls and
// duplicates, several files and row groups), aggregated by sluice's RunGroupBy and by DuckDB's
// GROUP BY over the same files; every group and every aggregate must agree (floats to a relative
// 1e-9). Also the `sluice groupby` command end to end: CSV and Parquet output (with a page
// index), and errors that name the unknown column or the bad aggregate without leaving an output
// file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <variant>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/ops/group_by.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

using Cell = std::variant<std::monostate, double, std::string>;

Cell CellOf(const Array& a, int64_t r) {
  if (a.IsNull(r)) return std::monostate{};
  switch (a.type().id()) {
    case TypeId::kInt32:
      return static_cast<double>(a.Value<int32_t>(r));
    case TypeId::kInt64:
      return static_cast<double>(a.Value<int64_t>(r));
    case TypeId::kFloat64:
      return a.Value<double>(r);
    case TypeId::kString:
      return std::string(a.BinaryValue(r));
    default:
      return FormatValue(a, r);
  }
}

std::string KeyText(const RecordBatch& b, int64_t r, int keys) {
  std::string key;
  for (int c = 0; c < keys; ++c) {
    const Cell cell = CellOf(b.column(c), r);
    key += "|";
    if (std::holds_alternative<std::monostate>(cell)) {
      key += "NULL";
    } else if (std::holds_alternative<double>(cell)) {
      key += std::to_string(std::get<double>(cell));
    } else {
      key += std::get<std::string>(cell);
    }
  }
  return key;
}

void ExpectSameGroups(const std::vector<RecordBatch>& ours, const RecordBatch& theirs, int keys) {
  std::map<std::string, std::pair<const RecordBatch*, int64_t>> want;
  for (int64_t r = 0; r < theirs.num_rows(); ++r) {
    ASSERT_TRUE(want.emplace(KeyText(theirs, r, keys), std::make_pair(&theirs, r)).second);
  }
  int64_t seen = 0;
  for (const RecordBatch& b : ours) {
    ASSERT_EQ(b.num_columns(), theirs.num_columns());
    for (int64_t r = 0; r < b.num_rows(); ++r, ++seen) {
      const std::string key = KeyText(b, r, keys);
      auto it = want.find(key);
      ASSERT_NE(it, want.end()) << "group " << key << " not in DuckDB's result";
      for (int c = keys; c < b.num_columns(); ++c) {
        const Cell got = CellOf(b.column(c), r);
        const Cell expected = CellOf(it->second.first->column(c), it->second.second);
        const std::string what = key + " " + b.schema().field(c).name;
        ASSERT_EQ(got.index(), expected.index()) << what;
        if (std::holds_alternative<double>(got)) {
          const double g = std::get<double>(got);
          const double e = std::get<double>(expected);
          EXPECT_NEAR(g, e, 1e-9 * std::max(1.0, std::abs(e))) << what;
        } else {
          EXPECT_EQ(got, expected) << what;
        }
      }
    }
  }
  EXPECT_EQ(seen, theirs.num_rows());
}

class GroupByDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    dir_ = fs::temp_directory_path() /
           ("sluice_groupby_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Three files of 40,000 rows in row groups of 10,000: string and int keys with nulls,
    // an int value with nulls, a double, a date.
    for (int f = 0; f < 3; ++f) {
      files_.push_back((dir_ / ("part-" + std::to_string(f) + ".parquet")).string());
      duckdb_->Query("SELECT setseed(0." + std::to_string(f + 1) + ")");
      duckdb_->Query(
          "COPY (SELECT CASE WHEN random() < 0.05 THEN NULL ELSE 'k' || (random() * 40)::INT "
          "END AS s, CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 6)::INT END AS i, "
          "CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 1000)::BIGINT - 500 END AS v, "
          "random() * 100 AS x, DATE '2026-01-01' + (random() * 3)::INT AS d "
          "FROM range(40000)) TO '" +
          files_.back() + "' (FORMAT parquet, ROW_GROUP_SIZE 10000)");
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string FileList() const {
    std::string list = "[";
    for (const std::string& f : files_) list += (list.size() > 1 ? ", '" : "'") + f + "'";
    return list + "]";
  }

  // dictionaries: the keys' dictionary-encoded pages arrive as dictionary arrays.
  GroupByResult Ours(std::vector<std::string> keys, const std::string& aggregates,
                     const std::vector<std::string>& dictionaries = {},
                     int64_t memory_budget = 16 << 20) {
    GroupBySpec spec;
    spec.keys = std::move(keys);
    spec.aggregates = ParseAggregateCalls(aggregates);
    GroupByOptions options;
    options.run.cpu_threads = 2;
    options.run.memory_budget = memory_budget;
    options.run.progress = ProgressMode::kOff;
    options.min_partitions = 3;
    std::shared_ptr<TableScan> scan = TableScan::Open(files_);
    scan->KeepDictionaries(dictionaries);
    return RunGroupBy(*scan, spec, options);
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
  std::vector<std::string> files_;
};

TEST_F(GroupByDuckDbTest, EveryAggregateMatchesDuckDbWithNullKeysAndDuplicates) {
  GroupByResult ours =
      Ours({"s", "i"},
           "count(*), count(v), sum(v), min(v), max(v), mean(x), var(x), stddev(x), "
           "median(x), count_distinct(v), min(d), max(d), corr(x, v)");
  RecordBatch theirs = duckdb_->Query(
      "SELECT s, i, count(*), count(v), sum(v)::BIGINT, min(v), max(v), avg(x), var_samp(x), "
      "stddev_samp(x), median(x), count(DISTINCT v), min(d), max(d), corr(x, v) FROM "
      "read_parquet(" +
      FileList() + ") GROUP BY s, i");
  EXPECT_GT(theirs.num_rows(), 200);
  EXPECT_EQ(ours.groups, theirs.num_rows());
  ExpectSameGroups(ours.batches, theirs, 2);
}

// Keys read as dictionary indices (DuckDB writes s and i dictionary-encoded): the same groups,
// also when an aggregate reads a key column too and when a small budget makes the state spill.
TEST_F(GroupByDuckDbTest, DictionaryEncodedKeysGiveDuckDbsGroups) {
  RecordBatch theirs = duckdb_->Query(
      "SELECT s, i, count(*), sum(v)::BIGINT, max(s), count(DISTINCT i), avg(x) FROM "
      "read_parquet(" +
      FileList() + ") GROUP BY s, i");
  const std::string aggregates = "count(*), sum(v), max(s), count_distinct(i), mean(x)";
  GroupBySpec spec{.keys = {"s", "i"}, .aggregates = ParseAggregateCalls(aggregates)};
  EXPECT_TRUE(DictionaryKeyColumns(spec).empty());  // both keys are read by an aggregate
  for (int64_t budget : {int64_t{16} << 20, int64_t{1} << 20}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    GroupByResult ours = Ours({"s", "i"}, aggregates, {"s", "i"}, budget);
    EXPECT_EQ(ours.spilled_rows > 0, budget < (int64_t{16} << 20));
    EXPECT_EQ(ours.groups, theirs.num_rows());
    ExpectSameGroups(ours.batches, theirs, 2);
  }
  GroupByResult one_key = Ours({"s"}, "count(*), min(v)", {"s"});
  ExpectSameGroups(
      one_key.batches,
      duckdb_->Query("SELECT s, count(*), min(v) FROM read_parquet(" + FileList() + ") GROUP BY s"),
      1);
}

TEST_F(GroupByDuckDbTest, CsvInputGivesTheSameGroupsAsDuckDbOverTheParquetFiles) {
  std::vector<std::string> csvs;
  for (const std::string& f : files_) {
    csvs.push_back(f.substr(0, f.size() - 8) + ".csv");
    duckdb_->Query("COPY (SELECT * FROM read_parquet('" + f + "')) TO '" + csvs.back() +
                   "' (HEADER)");
  }
  GroupBySpec spec;
  spec.keys = {"s", "i"};
  spec.aggregates = ParseAggregateCalls("count(*), sum(v), min(v), mean(x), count_distinct(d)");
  GroupByOptions options;
  options.run.cpu_threads = 2;
  options.run.progress = ProgressMode::kOff;
  GroupByResult ours = RunGroupBy(*TableScan::OpenCsv(csvs), spec, options);
  EXPECT_EQ(ours.input_rows, 120000);
  ExpectSameGroups(ours.batches,
                   duckdb_->Query("SELECT s, i, count(*), sum(v)::BIGINT, min(v), avg(x), "
                                  "count(DISTINCT d) FROM read_parquet(" +
                                  FileList() + ") GROUP BY s, i"),
                   2);
}

TEST_F(GroupByDuckDbTest, GlobalAggregatesAndDateKeysMatchDuckDb) {
  GroupByResult global = Ours({}, "count(*), sum(v), min(x), max(s)");
  ExpectSameGroups(
      global.batches,
      duckdb_->Query("SELECT count(*), sum(v)::BIGINT, min(x), max(s) FROM read_parquet(" +
                     FileList() + ")"),
      0);
  GroupByResult by_date = Ours({"d"}, "count(*), mean(v), count_distinct(s)");
  ExpectSameGroups(by_date.batches,
                   duckdb_->Query("SELECT d, count(*), avg(v), count(DISTINCT s) FROM "
                                  "read_parquet(" +
                                  FileList() + ") GROUP BY d"),
                   1);
}

using testing::CommandRun;
CommandRun RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

TEST_F(GroupByDuckDbTest, CommandWritesCsvAndParquetThatDuckDbReadsBack) {
  const std::string csv = (dir_ / "out.csv").string();
  const std::string pq = (dir_ / "out.parquet").string();
  const std::string inputs = "'" + (dir_ / "part-*.parquet").string() + "'";
  CommandRun r =
      RunSluice("groupby " + inputs + " --by i --agg 'count(*) as n, sum(v) as total' -o " + csv);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("bottleneck"), std::string::npos) << r.out;
  r = RunSluice("groupby " + inputs + " --by i --agg 'count(*) as n, sum(v) as total' -o " + pq +
                " --page-index");
  ASSERT_EQ(r.status, 0) << r.out;
  const parquet::ParquetFooter footer = parquet::ReadFooter(pq);
  for (const parquet::ColumnChunk& chunk : footer.metadata.row_groups[0].columns) {
    EXPECT_TRUE(chunk.column_index_offset && chunk.offset_index_offset);
  }
  const std::string expected =
      "SELECT i, count(*) AS n, sum(v)::BIGINT AS total FROM read_parquet(" + FileList() +
      ") GROUP BY i";
  for (const std::string& out :
       {"read_csv('" + csv + "', header = true)", "read_parquet('" + pq + "')"}) {
    RecordBatch diff = duckdb_->Query(
        "SELECT count(*) FROM ((SELECT i, n, total FROM " + out + ") EXCEPT ALL (" + expected +
        ")) UNION ALL (SELECT count(*) "
        "FROM ((" +
        expected + ") EXCEPT ALL (SELECT i, n, total FROM " + out + ")))");
    ASSERT_EQ(diff.num_rows(), 2);
    EXPECT_EQ(diff.column(0).Value<int64_t>(0), 0) << out;
    EXPECT_EQ(diff.column(0).Value<int64_t>(1), 0) << out;
  }
}

TEST_F(GroupByDuckDbTest, CommandErrorsNameTheColumnOrExpressionAndWriteNothing) {
  const std::string out = (dir_ / "bad.csv").string();
  const std::string inputs = "'" + (dir_ / "part-*.parquet").string() + "'";
  CommandRun r = RunSluice("groupby " + inputs + " --by nope --agg 'count(*)' -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("nope"), std::string::npos) << r.out;
  r = RunSluice("groupby " + inputs + " --by i --agg 'sum(v' -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("sum(v"), std::string::npos) << r.out;
  r = RunSluice("groupby " + inputs + " --by i --agg 'sum(s)' -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("column s"), std::string::npos) << r.out;
  r = RunSluice("groupby " + inputs + " --by i --agg 'count(*)' --page-index -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--page-index is for Parquet output"), std::string::npos) << r.out;
  r = RunSluice("groupby '" + (dir_ / "missing-*.parquet").string() + "' --agg 'count(*)' -o " +
                out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("missing-"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().string().find("bad.csv"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace sluice
