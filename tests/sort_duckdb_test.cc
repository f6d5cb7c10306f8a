// Sort results against DuckDB: inputs written by DuckDB (keys of every kind with nulls,
// duplicates and NaN, several files and row groups), sorted by sluice's SortTable and by DuckDB's
// ORDER BY over the same files with the stream position (file, row) as the last key, which is the
// order sluice's stable sort promises, so the row sequences must be identical. The same with a
// memory budget 20x smaller than the data (the sort spills and merges in several passes). Top-N
// per group against DuckDB's row_number() window. Also `sluice sort` end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/top_n.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> Ids(const std::vector<RecordBatch>& batches, const std::string& column) {
  std::vector<int64_t> ids;
  for (const RecordBatch& b : batches) {
    const Array& id = b.column(column);
    for (int64_t r = 0; r < b.num_rows(); ++r) ids.push_back(id.Value<int64_t>(r));
  }
  return ids;
}

// "s:desc,i" -> "s DESC, i ASC" for DuckDB.
std::string OrderBy(const std::vector<SortKey>& keys) {
  std::string sql;
  for (const SortKey& k : keys) {
    sql += (sql.empty() ? "" : ", ") + k.column + (k.descending ? " DESC" : " ASC");
  }
  return sql;
}

class SortDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    dir_ = fs::temp_directory_path() /
           ("sluice_sort_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "spill");
    // Three files of 40,000 rows in row groups of 10,000.
    for (int f = 0; f < 3; ++f) {
      files_.push_back((dir_ / ("part-" + std::to_string(f) + ".parquet")).string());
      duckdb_->Query("SELECT setseed(0." + std::to_string(f + 1) + ")");
      duckdb_->Query(
          "COPY (SELECT " + std::to_string(f) +
          " * 40000 + range AS id, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 50)::INT - 25 END AS i, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE 'k' || (random() * 300)::INT END AS s, "
          "CASE WHEN random() < 0.05 THEN NULL WHEN random() < 0.03 THEN 'nan'::DOUBLE "
          "WHEN random() < 0.02 THEN -0.0::DOUBLE ELSE round(random() * 20, 1) - 10 END AS x, "
          "(random() * 10)::REAL - 5 AS f, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE DATE '2026-01-01' + (random() * 30)::INT "
          "END AS d, "
          "TIMESTAMP '2026-01-01' + to_seconds((random() * 100)::BIGINT) AS ts, "
          "(((random() * 2000)::INT - 1000) / 8)::DECIMAL(18, 3) AS dec, "
          "CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.5 END AS b "
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
  // The input with its stream position columns.
  std::string Input() const {
    return "read_parquet(" + FileList() + ", filename = true, file_row_number = true)";
  }

  std::vector<int64_t> TheirOrder(const std::vector<SortKey>& keys) {
    return Ids({duckdb_->Query("SELECT id FROM " + Input() + " ORDER BY " + OrderBy(keys) +
                               ", filename, file_row_number")},
               "id");
  }

  bool SpillDirEmpty() const { return fs::is_empty(dir_ / "spill"); }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
  std::vector<std::string> files_;
};

TEST_F(SortDuckDbTest, OrderEqualsDuckDbsInMemoryAndWithA20TimesSmallerBudget) {
  auto scan = TableScan::Open(files_);
  int64_t data_bytes = 0;
  {
    SortOptions all;
    all.keys = {{"id", false}};
    SortTable(*scan, all, [&](const RecordBatch& b) { data_bytes += ByteSize(b); });
  }
  for (const std::vector<SortKey>& keys :
       std::vector<std::vector<SortKey>>{{{"i", false}},
                                         {{"s", true}, {"x", false}},
                                         {{"x", true}, {"d", false}, {"b", true}},
                                         {{"dec", false}, {"ts", true}},
                                         {{"f", false}},
                                         {{"b", false}, {"s", false}, {"i", true}}}) {
    SCOPED_TRACE(FormatSortKeys(keys));
    const std::vector<int64_t> expected = TheirOrder(keys);
    ASSERT_EQ(expected.size(), 120000u);
    for (int64_t budget : {int64_t{1} << 30, data_bytes / 20}) {
      SortOptions options;
      options.keys = keys;
      options.run.memory_budget = budget;
      options.run.cpu_threads = 2;
      options.spill_dir = (dir_ / "spill").string();
      std::vector<RecordBatch> out;
      SortStats stats = SortTable(*scan, options, [&](const RecordBatch& b) { out.push_back(b); });
      EXPECT_EQ(stats.input_rows, 120000);
      if (budget < data_bytes) {
        EXPECT_GT(stats.spilled_runs, 1) << "budget " << budget;
        EXPECT_GT(stats.spilled_bytes, 0);
      } else {
        EXPECT_EQ(stats.spilled_runs, 0);
      }
      EXPECT_EQ(Ids(out, "id"), expected) << "budget " << budget;
      EXPECT_TRUE(SpillDirEmpty());
    }
  }
}

TEST_F(SortDuckDbTest, TopNPerGroupEqualsDuckDbsWindowQuery) {
  for (int64_t n : {1, 2, 3}) {
    TopNOptions options;
    options.groups = {"i", "b"};
    options.order = {{"x", true}, {"f", false}};
    options.n = n;
    options.run.cpu_threads = 2;
    TopNResult ours = TopNPerGroup(*TableScan::Open(files_), options);
    std::vector<int64_t> got = Ids(ours.batches, "id");
    std::sort(got.begin(), got.end());
    // Ties in (x desc, f) go to the earlier row in both.
    std::vector<int64_t> want = Ids(
        {duckdb_->Query("SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY i, b ORDER BY "
                        "x DESC, f ASC, filename, file_row_number) AS rn FROM " +
                        Input() + ") WHERE rn <= " + std::to_string(n) + " ORDER BY id")},
        "id");
    EXPECT_EQ(got, want) << "n = " << n;
    EXPECT_EQ(ours.output_rows, static_cast<int64_t>(want.size()));
  }
}

using testing::CommandRun;
CommandRun RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

TEST_F(SortDuckDbTest, CommandSortsSpillsAndTakesTopNIntoCsvAndParquet) {
  const std::string inputs = "'" + (dir_ / "part-*.parquet").string() + "'";
  const std::vector<SortKey> keys{{"s", true}, {"x", false}};
  const std::vector<int64_t> expected = TheirOrder(keys);
  const std::string pq = (dir_ / "out.parquet").string();
  const std::string csv = (dir_ / "out.csv").string();
  const std::string report = (dir_ / "report.json").string();
  CommandRun r =
      RunSluice("sort " + inputs + " --by 's:desc, x' -o " + pq + " --memory 512KiB --spill-dir " +
                (dir_ / "spill").string() + " --report " + report);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("bottleneck"), std::string::npos) << r.out;
  nlohmann::json stats = nlohmann::json::parse(std::ifstream(report));
  EXPECT_GT(stats["spilled_runs"].get<int>(), 1) << stats.dump();
  EXPECT_EQ(stats["output_rows"].get<int64_t>(), 120000);
  EXPECT_TRUE(SpillDirEmpty());
  EXPECT_EQ(Ids({duckdb_->Query("SELECT id FROM read_parquet('" + pq + "')")}, "id"), expected);

  r = RunSluice("sort " + inputs + " --by s:desc,x -o " + csv + " --top 1000");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(Ids({duckdb_->Query("SELECT id FROM read_csv('" + csv + "', header = true)")}, "id"),
            std::vector<int64_t>(expected.begin(), expected.begin() + 1000));

  r = RunSluice("sort " + inputs + " --by x:desc --top 2 --per i -o " + pq);
  ASSERT_EQ(r.status, 0) << r.out;
  RecordBatch diff = duckdb_->Query(
      "WITH want AS (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY i ORDER BY x "
      "DESC, filename, file_row_number) AS rn FROM " +
      Input() + ") WHERE rn <= 2), got AS (SELECT id FROM read_parquet('" + pq +
      "')) SELECT (SELECT count(*) FROM (FROM want EXCEPT ALL FROM got)) + (SELECT count(*) "
      "FROM (FROM got EXCEPT ALL FROM want)), (SELECT count(*) FROM got)");
  EXPECT_EQ(diff.column(0).Value<int64_t>(0), 0);
  EXPECT_GT(diff.column(1).Value<int64_t>(0), 80);
}

TEST_F(SortDuckDbTest, CommandErrorsNameTheColumnOrTheBadKeyAndWriteNothing) {
  const std::string out = (dir_ / "bad.parquet").string();
  const std::string inputs = "'" + (dir_ / "part-*.parquet").string() + "'";
  CommandRun r = RunSluice("sort " + inputs + " --by nope -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("nope"), std::string::npos) << r.out;
  r = RunSluice("sort " + inputs + " --by i:sideways -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("sideways"), std::string::npos) << r.out;
  r = RunSluice("sort " + inputs + " --by i --top 2 --per nope2 -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("nope2"), std::string::npos) << r.out;
  r = RunSluice("sort " + inputs + " --by i --per s -o " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--top"), std::string::npos) << r.out;
  r = RunSluice("sort " + inputs + " --by i -o " + (dir_ / "out.txt").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(".parquet"), std::string::npos) << r.out;
  r = RunSluice("sort --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--by"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().string().find("bad.parquet"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace sluice
