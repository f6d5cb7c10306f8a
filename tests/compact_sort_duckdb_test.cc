// `sluice compact --sort-by` and `--zorder-by`, checked by DuckDB: the rows of a partition's output
// files, read in file name and row order (filename, file_row_number), are in the order asked
// (descending, nulls last), and hold exactly the inputs' rows (EXCEPT ALL both ways against
// read_parquet(union_by_name=true)); a partition several times larger than --memory sorts by
// spilling with the process's peak RSS under the budget's allowance; Z-order output's row groups
// are narrow in both columns where the unsorted output's span nearly everything; a sorted output
// keeps page indexes and Bloom filters; unknown columns and conflicting flags are refused clearly.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_reader.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

testing::CommandRun RunSluice(const std::string& args) {
  return testing::RunSluice(SLUICE_BINARY, args);
}

class CompactSortDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so (npm @duckdb/node-bindings)");
  }

  // Writes SRC/p=1/fN.parquet: `files` files of `rows` rows each; key (BIGINT, every 17th null,
  // many ties), name (VARCHAR, every 23rd null) and v (DOUBLE). The last file stores key as
  // INTEGER and lacks name, so the files unify by name (widened, nulls added).
  void WriteEvolvingPartition(int files, int rows) {
    fs::create_directories(src_ + "/p=1");
    for (int f = 0; f < files; ++f) {
      const bool last = f == files - 1;
      duckdb_->Query(fmt::format(
          "COPY (SELECT CASE WHEN i % 17 = 0 THEN NULL ELSE (hash(i + {0}) % 1000)::{1} END AS "
          "key, {2} (hash(i * 3 + {0}) % 100000) / 7.0 AS v FROM range({3}) t(i)) TO "
          "'{4}/p=1/f{0}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 4000)",
          f, last ? "INTEGER" : "BIGINT",
          last ? ""
               : "CASE WHEN i % 23 = 0 THEN NULL ELSE md5(i::VARCHAR || '" + std::to_string(f) +
                     "') END AS name,",
          rows, src_));
    }
  }

  std::string OutputFiles(const std::string& dst) const {
    return fmt::format("read_parquet('{}/p=1/*.parquet', filename = true, file_row_number = true)",
                       dst);
  }

  // Rows whose dense rank in `order` is below the previous row's in file order: 0 when the files
  // read in name order hold their rows in `order`.
  int64_t OutOfOrder(const std::string& dst, const std::string& order) {
    return duckdb_->QueryInt(fmt::format(
        "SELECT count(*) FROM (SELECT r, lag(r) OVER (ORDER BY filename, file_row_number) AS p "
        "FROM (SELECT filename, file_row_number, dense_rank() OVER (ORDER BY {}) AS r FROM {})) "
        "WHERE p > r",
        order, OutputFiles(dst)));
  }

  // Rows only in the input, and only in the output (as multisets of `columns`).
  testing::MultisetDifference Difference(const std::string& dst, const std::string& columns) {
    return testing::CompareMultisets(
        *duckdb_,
        fmt::format("SELECT {} FROM read_parquet('{}/p=1/*.parquet', union_by_name = true)",
                    columns, src_),
        fmt::format("SELECT {} FROM read_parquet('{}/p=1/*.parquet')", columns, dst));
  }

  // The mean over row groups of (max - min) of `column`, as a fraction of the whole range.
  double MeanRowGroupSpan(const std::string& dst, const std::string& column) {
    const std::string meta = fmt::format(
        "SELECT stats_min_value::BIGINT AS lo, stats_max_value::BIGINT AS hi FROM "
        "parquet_metadata('{}/p=1/*.parquet') WHERE path_in_schema = '{}'",
        dst, column);
    const int64_t scaled = duckdb_->QueryInt(
        fmt::format("SELECT (1000 * avg(hi - lo) / (max(hi) - min(lo)))::BIGINT FROM ({})", meta));
    return static_cast<double>(scaled) / 1000;
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  ScratchDir scratch_{"sluice-compact-sort"};
  const std::string src_ = scratch_.Path("src");
};

TEST_F(CompactSortDuckDbTest, SortByDescendingWithNullsHoldsTheSameRowsInOrder) {
  WriteEvolvingPartition(4, 15000);
  const std::string dst = scratch_.Path("dst");
  testing::CommandRun run =
      RunSluice("compact " + src_ + " " + dst +
                " --sort-by 'key:desc, v' --row-group-rows 7000 --target-file-size 400KiB "
                "--bloom-filter key --verify");
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("sort: 60000 rows of 1 partitions by key desc, v asc"), std::string::npos)
      << run.out;
  // The sort is its own stage in the run's table.
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"((^|\n)sort +io +1 +[2-9] )"))) << run.out;
  EXPECT_GE(
      duckdb_->QueryInt(fmt::format("SELECT count(DISTINCT filename) FROM {}", OutputFiles(dst))),
      2);
  EXPECT_EQ(OutOfOrder(dst, "key DESC NULLS LAST, v ASC NULLS LAST"), 0);
  // The check can fail: the same files are not in ascending key order.
  EXPECT_GT(OutOfOrder(dst, "key ASC NULLS LAST, v ASC NULLS LAST"), 0);
  EXPECT_EQ(duckdb_->QueryInt(fmt::format("SELECT count(*) FROM {}", OutputFiles(dst))), 60000);
  const testing::MultisetDifference diff = Difference(dst, "key, name, v");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  // Columns keep their (unified) types; statistics, page indexes and Bloom filters are written.
  const RecordBatch types =
      duckdb_->Query(fmt::format("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                                 "read_parquet('{}/p=1/*.parquet', hive_partitioning = false))",
                                 dst));
  EXPECT_EQ(types.num_rows(), 3);
  EXPECT_EQ(duckdb_->QueryInt(fmt::format(
                "SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('{}/p=1/*.parquet')) "
                "WHERE column_name = 'key' AND column_type = 'BIGINT'",
                dst)),
            1);
  const std::string meta = fmt::format("parquet_metadata('{}/p=1/*.parquet')", dst);
  EXPECT_EQ(duckdb_->QueryInt(fmt::format("SELECT count(*) FROM {} WHERE stats_min_value IS NULL "
                                          "AND stats_null_count < num_values",
                                          meta)),
            0);
  EXPECT_EQ(duckdb_->QueryInt(fmt::format("SELECT count(*) FROM {} WHERE path_in_schema = 'key' "
                                          "AND (bloom_filter_offset IS NULL OR "
                                          "bloom_filter_length = 0)",
                                          meta)),
            0);
  EXPECT_EQ(duckdb_->QueryInt(fmt::format(
                "SELECT count(*) FROM {} WHERE path_in_schema <> 'key' AND bloom_filter_offset IS "
                "NOT NULL",
                meta)),
            0);
  for (const auto& entry : fs::directory_iterator(dst + "/p=1")) {
    auto reader = parquet::ParquetFileReader::Open(entry.path().string());
    for (const auto& group : reader->footer().metadata.row_groups) {
      for (const auto& chunk : group.columns) {
        EXPECT_TRUE(chunk.offset_index_offset.has_value()) << entry.path();
        EXPECT_TRUE(chunk.column_index_offset.has_value()) << entry.path();
      }
    }
  }
  // DuckDB finds a key through the sorted files' statistics.
  EXPECT_EQ(duckdb_->QueryInt(fmt::format(
                "SELECT count(*) FROM read_parquet('{}/p=1/*.parquet') WHERE key = 500", dst)),
            duckdb_->QueryInt(fmt::format(
                "SELECT count(*) FROM read_parquet('{}/p=1/*.parquet', union_by_name = true) "
                "WHERE key = 500",
                src_)));
}

TEST_F(CompactSortDuckDbTest, APartitionLargerThanTheBudgetSortsBySpilling) {
  fs::create_directories(src_ + "/p=1");
  for (int f = 0; f < 4; ++f) {
    duckdb_->Query(fmt::format(
        "COPY (SELECT md5((i * 4 + {0})::VARCHAR) AS name, i AS n, (i % 97)::INTEGER AS g FROM "
        "range(250000) t(i)) TO '{1}/p=1/f{0}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 50000)",
        f, src_));
  }
  const std::string dst = scratch_.Path("dst");
  const std::string spill = scratch_.Path("spill");
  fs::create_directories(spill);
  // 1M rows of about 70 MiB in memory against 32 MiB for the whole process.
  testing::CommandRun run = RunSluice("compact " + src_ + " " + dst +
                                      " --sort-by name --memory 32MiB --spill-dir " + spill);
  ASSERT_EQ(run.status, 0) << run.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.out, m, std::regex(R"(sorted runs, (\d+) spilled)")))
      << run.out;
  EXPECT_GE(std::stoi(m[1]), 1) << run.out;
  // The sort held no more than its budget.
  ASSERT_TRUE(
      std::regex_search(run.out, m, std::regex(R"(peak ([\d.]+) MiB of ([\d.]+) MiB a sort)")))
      << run.out;
  EXPECT_LE(std::stod(m[1]), std::stod(m[2])) << run.out;
  ASSERT_TRUE(std::regex_search(run.out, m, std::regex(R"(peak RSS ([\d.]+) MiB)"))) << run.out;
  // The allowance the memory suite holds every command to: 1.25 x budget + 64 MiB.
  EXPECT_LE(std::stod(m[1]), 1.25 * 32 + 64) << run.out;
  EXPECT_TRUE(fs::is_empty(spill));  // the spill directory is removed
  EXPECT_EQ(OutOfOrder(dst, "name"), 0);
  const testing::MultisetDifference diff = Difference(dst, "name, n, g");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
}

TEST_F(CompactSortDuckDbTest, ZOrderNarrowsRowGroupsInBothColumns) {
  fs::create_directories(src_ + "/p=1");
  for (int f = 0; f < 4; ++f) {
    duckdb_->Query(fmt::format(
        "COPY (SELECT (hash(i * 2 + {0}) % 100000)::BIGINT AS x, (hash(i * 2 + 1 + {0} * 7) % "
        "100000)::BIGINT AS y, i AS n FROM range(50000) t(i)) TO '{1}/p=1/f{0}.parquet' "
        "(FORMAT parquet, ROW_GROUP_SIZE 10000)",
        f, src_));
  }
  const std::string plain = scratch_.Path("plain");
  const std::string by_x = scratch_.Path("by_x");
  const std::string z = scratch_.Path("z");
  for (const auto& [dst, flags] :
       {std::pair{plain, std::string()}, std::pair{by_x, std::string(" --sort-by x")},
        std::pair{z, std::string(" --zorder-by x,y")}}) {
    testing::CommandRun run =
        RunSluice("compact " + src_ + " " + dst + " --row-group-rows 10000" + flags);
    ASSERT_EQ(run.status, 0) << flags << "\n" << run.out;
  }
  // Unsorted, every row group spans nearly the whole range of both columns; sorted by x, x is
  // narrow and y still spans it all; in Z-order, both are narrow.
  EXPECT_GT(MeanRowGroupSpan(plain, "x"), 0.9);
  EXPECT_GT(MeanRowGroupSpan(plain, "y"), 0.9);
  EXPECT_LT(MeanRowGroupSpan(by_x, "x"), 0.1);
  EXPECT_GT(MeanRowGroupSpan(by_x, "y"), 0.9);
  EXPECT_LT(MeanRowGroupSpan(z, "x"), 0.6);
  EXPECT_LT(MeanRowGroupSpan(z, "y"), 0.6);
  EXPECT_LT(MeanRowGroupSpan(z, "x") + MeanRowGroupSpan(z, "y"), 1.0);
  const testing::MultisetDifference diff = Difference(z, "x, y, n");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
}

TEST_F(CompactSortDuckDbTest, UnknownColumnsAndConflictingFlagsAreRefused) {
  WriteEvolvingPartition(2, 1000);
  testing::CommandRun run =
      RunSluice("compact " + src_ + " " + scratch_.Path("a") + " --sort-by nope");
  EXPECT_NE(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("unknown sort column 'nope'"), std::string::npos) << run.out;
  // The newest file (which lacks name) orders the fields.
  EXPECT_NE(run.out.find("columns key, v, name"), std::string::npos) << run.out;

  run = RunSluice("compact " + src_ + " " + scratch_.Path("b") + " --zorder-by key,nope");
  EXPECT_NE(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("unknown sort column 'nope'"), std::string::npos) << run.out;

  for (const char* flags : {"--sort-by key --order-by key", "--sort-by key --zorder-by key,v",
                            "--zorder-by key,v --order-by v"}) {
    run = RunSluice("compact " + src_ + " " + scratch_.Path("c") + " " + flags);
    EXPECT_NE(run.status, 0) << flags << "\n" << run.out;
    EXPECT_NE(run.out.find("give one of them"), std::string::npos) << flags << "\n" << run.out;
    EXPECT_FALSE(fs::exists(scratch_.Path("c"))) << flags;
  }
  run = RunSluice("compact " + src_ + " " + scratch_.Path("d") + " --zorder-by key");
  EXPECT_NE(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("two to eight columns"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace sluice
