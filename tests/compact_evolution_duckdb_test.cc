// `sluice compact` on partitions whose files' schemas evolved, and on pages a reader cannot read,
// checked by DuckDB: files written by DuckDB and Polars with added, dropped, reordered and
// widened columns compact to the union schema (the newest file's field order) holding exactly
// the rows of DuckDB's read_parquet(..., union_by_name = true); incompatible changes fail their
// partition naming both files, the column and both types; --no-union-by-name keeps the strict
// refusal; integer BYTE_STREAM_SPLIT pages, which DuckDB refuses, become readable under
// --compat duckdb while float ones are still copied.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/table/array.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

using Result = testing::CommandRun;
Result RunSluice(const std::string& args) { return testing::RunSluice(SLUICE_BINARY, args); }

// The summary's count of one kind of page or chunk ("copied verbatim", "re-encoded").
int64_t Count(const std::string& out, const std::string& what) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("(\\d+) " + what))) return -1;
  return std::stoll(m[1].str());
}

class CompactEvolutionDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so (npm @duckdb/node-bindings)");
  }

  int64_t Scalar(const std::string& sql) { return duckdb_->QueryInt(sql); }

  // Writes `select` (over range(rows) t(i)) with DuckDB to `path`, dated `age` seconds ago.
  void Write(const std::string& path, const std::string& select, int rows, int age) {
    fs::create_directories(fs::path(path).parent_path());
    duckdb_->Query(fmt::format(
        "COPY (SELECT {} FROM range({}) t(i)) TO '{}' (FORMAT parquet, ROW_GROUP_SIZE 100)", select,
        rows, path));
    Age(path, age);
  }
  static void Age(const std::string& path, int seconds) {
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(seconds));
  }

  // The partition's rows, read by DuckDB from the inputs by name and from the outputs, are the
  // same multiset (EXCEPT ALL both ways over `columns`).
  void ExpectUnionRows(const std::string& in_dir, const std::string& out_dir,
                       const std::string& columns) {
    std::string in = fmt::format(
        "SELECT {} FROM read_parquet('{}/*.parquet', union_by_name = true)", columns, in_dir);
    std::string out = fmt::format("SELECT {} FROM read_parquet('{}/*.parquet')", columns, out_dir);
    testing::MultisetDifference d = testing::CompareMultisets(*duckdb_, out, in);
    EXPECT_EQ(d.only_ours, 0);
    EXPECT_EQ(d.only_theirs, 0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM (" + in + ")"),
              Scalar("SELECT count(*) FROM (" + out + ")"));
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  ScratchDir scratch_{"sluice-compact-evolution"};
  const std::string src_ = scratch_.Path("src");
  const std::string dst_ = scratch_.Path("dst");
};

// Four files written over time: a (oldest) has a column later dropped, b adds `note`, c reorders
// and holds narrower types, d (newest, by Polars) reorders again and adds a boolean and a struct.
TEST_F(CompactEvolutionDuckDbTest, EvolvingPartitionCompactsToTheUnionByName) {
  const fs::path root(SLUICE_SOURCE_DIR);
  SLUICE_REQUIRE_TEST_DATA(fs::exists(root / "node_modules" / "nodejs-polars"),
                           "nodejs-polars is missing: run scripts/deps.sh (npm ci)");
  const std::string part = src_ + "/day=1";
  Write(part + "/a.parquet",
        "i::BIGINT AS id, i / 3 AS v, 'old ' || i AS old, (i % 100)::TINYINT AS small, "
        "(i % 1000 / 7.0)::DECIMAL(5, 2) AS price",
        300, 400);
  Write(part + "/b.parquet",
        "(300 + i)::BIGINT AS id, i / 5 AS v, CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || i END "
        "AS note, (i * 100)::SMALLINT AS small, (i * 1000003 / 100.0)::DECIMAL(12, 2) AS price, "
        "(i % 200)::UTINYINT AS u",
        300, 300);
  Write(part + "/c.parquet",
        "'c ' || i AS note, (600 + i)::INTEGER AS id, (i / 8)::FLOAT AS v, "
        "(i * 100000)::INTEGER AS small, (i - 150)::SMALLINT AS u",
        300, 200);
  int status = 0;
  std::string written = testing::CommandOutput(
      fmt::format("node '{}' '{}/d.parquet' 900 300 2>&1",
                  (root / "tests" / "polars_write_evolving.js").string(), part),
      &status);
  ASSERT_EQ(status, 0) << written;
  Age(part + "/d.parquet", 100);

  Result r = RunSluice("compact " + src_ + " " + dst_ + " --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  // Widened id and v of c and price of a are re-encoded, the columns files lack are nulls, and
  // the unchanged ones (note, small: all INT32) keep their pages.
  EXPECT_GT(Count(r.out, "re-encoded"), 0) << r.out;
  EXPECT_GT(Count(r.out, "made of nulls"), 0) << r.out;
  EXPECT_GT(Count(r.out, "copied verbatim"), 0) << r.out;

  const std::string out_dir = dst_ + "/day=1";
  ExpectUnionRows(part, out_dir, "id, note, v, flag, rec, small, u, price, old");
  // The newest file's fields first, then the older files' own, newest first.
  parquet::ParquetFooter footer = parquet::ReadFooter(out_dir + "/part-00000.parquet");
  EXPECT_EQ(
      footer.schema.top_level_names(),
      (std::vector<std::string>{"id", "note", "v", "flag", "rec", "small", "u", "price", "old"}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('" + out_dir +
                   "/*.parquet')) WHERE (column_name, column_type) IN (('id', 'BIGINT'), "
                   "('v', 'DOUBLE'), ('small', 'INTEGER'), ('u', 'SMALLINT'), "
                   "('price', 'DECIMAL(12,2)'))"),
            5);
  // Polars reads the output too: every row, the union's columns, the widened ids.
  std::string polars = testing::CommandOutput(
      fmt::format("cd '{}' && node -e \"const pl = require('nodejs-polars'); const df = "
                  "pl.readParquet(process.argv[1]); console.log(df.height, df.columns.join(), "
                  "df.getColumn('id').sum())\" '{}/part-00000.parquet' 2>&1",
                  root.string(), out_dir),
      &status);
  ASSERT_EQ(status, 0) << polars;
  EXPECT_EQ(polars, "1200 id,note,v,flag,rec,small,u,price,old 719400\n");
  // Spot checks: a widened value, a null where the file lacked the column, the struct.
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + out_dir +
                   "/*.parquet') WHERE id = 650 AND note = 'c 50' AND v = 6.25 AND old IS NULL"),
            1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + out_dir +
                   "/*.parquet') WHERE rec.a = 9010 AND rec.b = 'b1'"),
            1);
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM read_parquet('" + out_dir + "/*.parquet') WHERE rec IS NULL"),
      900 + 60);
}

// A string against an integer and decimals of another scale fail their partitions, naming both
// files, the column and both types; a compatible partition beside them (an added column, a
// decimal of a larger precision) completes. With
// --no-union-by-name any difference fails as before.
TEST_F(CompactEvolutionDuckDbTest, IncompatibleChangesFailTheirPartition) {
  Write(src_ + "/p=1/x.parquet", "i::BIGINT AS id, 'v' || i AS v", 50, 20);
  Write(src_ + "/p=1/y.parquet", "i::BIGINT AS id, i::INTEGER AS v", 50, 10);
  Write(src_ + "/p=2/x.parquet", "(i / 10)::DECIMAL(10, 2) AS d", 50, 20);
  Write(src_ + "/p=2/y.parquet", "(i / 10)::DECIMAL(10, 3) AS d", 50, 10);
  Write(src_ + "/p=3/x.parquet", "i::BIGINT AS id, (i / 3)::DECIMAL(20, 2) AS big", 50, 20);
  Write(src_ + "/p=3/y.parquet",
        "i::BIGINT AS id, i::INTEGER AS w, (-i / 7)::DECIMAL(30, 2) AS big", 50, 10);
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --max-attempts 1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("FAILED p=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED p=2"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAILED p=3"), std::string::npos) << r.out;
  for (const char* needle :
       {"column v is INT32", "against BYTE_ARRAY UTF8", "p=1/x.parquet", "p=1/y.parquet",
        "column d is INT64 DECIMAL(10,3) optional against INT64 DECIMAL(10,2)"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
  // A decimal stored in 9 bytes widens to one stored in 13 (FIXED_LEN_BYTE_ARRAY both).
  ExpectUnionRows(src_ + "/p=3", dst_ + "/p=3", "id, w, big");

  Result strict = RunSluice("compact " + src_ + " " + scratch_.Path("strict") +
                            " --no-union-by-name --max-attempts 1");
  EXPECT_EQ(strict.status, 1) << strict.out;
  EXPECT_NE(strict.out.find("FAILED p=3"), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find("different schemas: 2 columns against 3"), std::string::npos)
      << strict.out;
}

// parquet-testing's BYTE_STREAM_SPLIT file holds each column twice, PLAIN and split; DuckDB
// refuses the split integer, decimal and fixed-length ones. Under --compat duckdb the output reads
// back equal to the PLAIN twins; float and double pages stay split (DuckDB reads them).
TEST_F(CompactEvolutionDuckDbTest, ByteStreamSplitIntegersReadableUnderCompatDuckDb) {
  const fs::path file =
      fs::path(SLUICE_PARQUET_TESTING_DIR) / "data" / "byte_stream_split_extended.gzip.parquet";
  SLUICE_REQUIRE_TEST_DATA(fs::exists(file), "parquet-testing (SLUICE_PARQUET_TESTING_DIR)");
  fs::create_directories(src_ + "/p=1");
  fs::copy_file(file, src_ + "/p=1/a.parquet");
  fs::copy_file(file, src_ + "/p=1/b.parquet");
  const std::string twins =
      "SELECT count(*) FROM read_parquet('{}/p=1/*.parquet') WHERE "
      "int32_byte_stream_split IS DISTINCT FROM int32_plain OR "
      "int64_byte_stream_split IS DISTINCT FROM int64_plain OR "
      "decimal_byte_stream_split IS DISTINCT FROM decimal_plain OR "
      "flba5_byte_stream_split IS DISTINCT FROM flba5_plain OR "
      "double_byte_stream_split IS DISTINCT FROM double_plain";

  Result r = RunSluice("compact " + src_ + " " + dst_ + " --compat duckdb --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(Scalar(fmt::format(fmt::runtime(twins), dst_)), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + dst_ + "/p=1/*.parquet')"), 400);
  EXPECT_GT(Count(r.out, "BYTE_STREAM_SPLIT to PLAIN"), 0) << r.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM parquet_metadata('" + dst_ +
                   "/p=1/*.parquet') WHERE encodings LIKE '%BYTE_STREAM_SPLIT%'"),
            2);  // the float and double chunks (float16 is FIXED_LEN_BYTE_ARRAY: unsplit)

  // The default (--compat any) also suits Spark, which reads no BYTE_STREAM_SPLIT at all.
  const std::string any = scratch_.Path("any");
  ASSERT_EQ(RunSluice("compact " + src_ + " " + any).status, 0);
  EXPECT_EQ(Scalar(fmt::format(fmt::runtime(twins), any)), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM parquet_metadata('" + any +
                   "/p=1/*.parquet') WHERE encodings LIKE '%BYTE_STREAM_SPLIT%'"),
            0);

  // Spark has no Brotli codec: the default (--compat any) refuses it before any work.
  Result brotli = RunSluice("compact " + src_ + " " + scratch_.Path("brotli") + " --codec brotli");
  EXPECT_NE(brotli.status, 0) << brotli.out;
  EXPECT_NE(brotli.out.find("Spark cannot read BROTLI pages"), std::string::npos) << brotli.out;

  // The same pages copied as they came: DuckDB refuses them.
  const std::string as_is = scratch_.Path("as_is");
  Result copied = RunSluice("compact " + src_ + " " + as_is + " --compat none");
  ASSERT_EQ(copied.status, 0) << copied.out;
  EXPECT_THROW(duckdb_->Query(fmt::format(fmt::runtime(twins), as_is)), Error);
}

}  // namespace
}  // namespace sluice
