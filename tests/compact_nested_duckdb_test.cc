// `sluice compact` on nested columns, checked by DuckDB: small files with lists of structs, maps,
// lists of lists, nested structs and fixed-size arrays (nulls at every level, empty lists and
// maps) are written by DuckDB, compacted by the real binary into fewer files, and DuckDB finds
// exactly the inputs' multiset of rows in the output (EXCEPT ALL both ways, and counts). Also:
// files Polars writes (nodejs-polars: tests/polars_write_nested.js), v2 data pages recompressed
// to another codec, every nested file of parquet-testing (the legacy list forms included), and
// the refusals (mismatched nested schemas, --order-by a nested leaf).
#include <fmt/format.h>
#include <gtest/gtest.h>

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

// One file's rows: `rows` rows whose ids start at `base`; `salt` varies the strings so that each
// file's dictionaries differ and the merge must remap their indices.
std::string NestedRows(int64_t base, int rows, int salt) {
  std::string s = std::to_string(salt);
  return fmt::format(
      "SELECT {0} + i AS id, "
      "CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN []::VARCHAR[] "
      "  ELSE ['tag' || ((i + {1}) % 9)::VARCHAR, "
      "        CASE WHEN i % 3 = 0 THEN NULL ELSE 'f{1}_' || (i % 4)::VARCHAR END] END AS tags, "
      "CASE WHEN i % 11 = 0 THEN NULL WHEN i % 4 = 0 THEN [] ELSE "
      "  [{{'sku': 'sku' || ((i + {1}) % 13)::VARCHAR, "
      "    'qty': CASE WHEN i % 6 = 0 THEN NULL ELSE (i % 17)::INTEGER END, "
      "    'price': (i % 100) / 4.0}}, "
      "   CASE WHEN i % 3 = 0 THEN NULL ELSE {{'sku': NULL, 'qty': 1, 'price': NULL}} END] "
      "  END AS items, "
      "CASE WHEN i % 9 = 0 THEN NULL WHEN i % 8 = 0 THEN MAP {{}}::MAP(VARCHAR, INTEGER) "
      "  ELSE MAP {{'k' || ((i + {1}) % 5)::VARCHAR: (i % 3)::INTEGER, "
      "            'z': CASE WHEN i % 2 = 0 THEN NULL ELSE i::INTEGER END}} END AS attrs, "
      "CASE WHEN i % 10 = 0 THEN NULL "
      "  ELSE [[i::INTEGER, NULL], [], NULL, [(i * 3)::INTEGER]] END AS matrix, "
      "CASE WHEN i % 12 = 0 THEN NULL ELSE {{'x': i / 2.0, "
      "  'y': CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1.5 END, "
      "  'label': CASE WHEN i % 4 = 1 THEN NULL ELSE {{'name': 'n' || ((i + {1}) % 6)::VARCHAR, "
      "    'codes': CASE WHEN i % 3 = 0 THEN NULL ELSE [i::INTEGER, (i + 1)::INTEGER] END}} END}} "
      "  END AS point, "
      "[i::INTEGER, CASE WHEN i % 6 = 0 THEN NULL ELSE 2 END, 3]::INTEGER[3] AS fixed "
      "FROM range({2}) t(i)",
      base, s, rows);
}

class CompactNestedDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "DuckDB from npm is not installed (npm ci)");
  }

  int64_t Scalar(const std::string& sql) { return duckdb_->QueryInt(sql); }

  // `files` files of `rows` rows in each of `partitions` directories, written by DuckDB with
  // `copy_options` (codec, page version, row group size).
  void Generate(int partitions, int files, int rows, const std::string& copy_options) {
    for (int p = 0; p < partitions; ++p) {
      std::string part = fmt::format("{}/p={}", src_, p);
      fs::create_directories(part);
      for (int f = 0; f < files; ++f) {
        int64_t base = (int64_t{p} * files + f) * rows;
        duckdb_->Query(fmt::format("COPY ({}) TO '{}/f{}.parquet' (FORMAT parquet, {})",
                                   NestedRows(base, rows, p * 10 + f), part, f, copy_options));
      }
    }
  }

  // DuckDB finds the same multiset of rows, and as many, in the two globs.
  void ExpectSameRows(const std::string& in_glob, const std::string& out_glob) {
    SCOPED_TRACE(in_glob);
    std::string in = "SELECT * FROM read_parquet('" + in_glob + "')";
    std::string out = "SELECT * FROM read_parquet('" + out_glob + "')";
    testing::MultisetDifference d = testing::CompareMultisets(*duckdb_, in, out);
    EXPECT_EQ(d.only_ours, 0);
    EXPECT_EQ(d.only_theirs, 0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM (" + in + ")"),
              Scalar("SELECT count(*) FROM (" + out + ")"));
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  ScratchDir scratch_{"sluice-compact-nested"};
  const std::string src_ = scratch_.Path("src");
  const std::string dst_ = scratch_.Path("dst");
};

// The Parquet files in a directory (counted here: DuckDB cannot read every footer's schema).
int64_t Files(const std::string& dir) {
  int64_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) n += entry.path().extension() == ".parquet";
  return n;
}

// The summary's count of pages handled one way ("copied verbatim", "dictionary-remapped").
int64_t Pages(const std::string& out, const std::string& how) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("(\\d+) " + how))) return -1;
  return std::stoll(m[1].str());
}

TEST_F(CompactNestedDuckDbTest, NullsAtEveryLevelAndEmptyListsCompactToTheSameRows) {
  Generate(2, 6, 1500, "COMPRESSION snappy");
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --row-group-rows 100000 --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  for (int p = 0; p < 2; ++p) {
    ExpectSameRows(fmt::format("{}/p={}/*.parquet", src_, p),
                   fmt::format("{}/p={}/*.parquet", dst_, p));
    EXPECT_EQ(Files(fmt::format("{}/p={}", dst_, p)), 1);
  }
  // Same codec: pages copy as they are, and the nested leaves' differing dictionaries merge.
  EXPECT_GT(Pages(r.out, "copied verbatim"), 0) << r.out;
  EXPECT_GT(Pages(r.out, "dictionary-remapped"), 0) << r.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM parquet_metadata('" + dst_ +
                   "/*/*.parquet') WHERE path_in_schema = 'tags, list, element' AND "
                   "encodings LIKE '%DICTIONARY%'"),
            2);
}

// Polars writes nested files its own way (every level optional, plain and dictionary pages,
// uncompressed by default): lists of strings, lists of structs, lists of lists and a struct
// holding a list compact to the same rows too.
TEST_F(CompactNestedDuckDbTest, PolarsWrittenNestedFilesCompactToTheSameRows) {
  const fs::path root(SLUICE_SOURCE_DIR);
  SLUICE_REQUIRE_TEST_DATA(fs::exists(root / "node_modules" / "nodejs-polars"),
                           "nodejs-polars is missing: run scripts/deps.sh (npm ci)");
  const std::string part = src_ + "/p=0";
  fs::create_directories(part);
  int status = 0;
  std::string written = testing::CommandOutput(
      fmt::format("node '{}' '{}' 5 2000 2>&1",
                  (root / "tests" / "polars_write_nested.js").string(), part),
      &status);
  ASSERT_EQ(status, 0) << written;
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  ExpectSameRows(part + "/*.parquet", dst_ + "/p=0/*.parquet");
  EXPECT_EQ(Files(dst_ + "/p=0"), 1);
  // Values deep inside read back as Polars wrote them.
  const std::string deep =
      "') WHERE len(points) = 2 AND points[2].y = 1 AND nested[2] = [] AND rec.scores IS NOT NULL";
  const int64_t expected =
      Scalar("SELECT count(*) FROM read_parquet('" + part + "/*.parquet" + deep);
  EXPECT_GT(expected, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + dst_ + "/p=0/*.parquet" + deep),
            expected);
}

TEST_F(CompactNestedDuckDbTest, V2PagesRecompressedToAnotherCodec) {
  Generate(1, 5, 2500, "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 1000");
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --codec snappy --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows(src_ + "/p=0/*.parquet", dst_ + "/p=0/*.parquet");
  EXPECT_GT(Pages(r.out, "recompressed"), 0) << r.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM parquet_metadata('" + dst_ +
                   "/p=0/*.parquet') WHERE compression <> 'SNAPPY'"),
            0);
}

TEST_F(CompactNestedDuckDbTest, MismatchedNestedSchemasAndNestedOrderByFailNamingTheColumn) {
  std::string part = src_ + "/p=0";
  fs::create_directories(part);
  duckdb_->Query("COPY (SELECT [i::INTEGER] AS x FROM range(10) t(i)) TO '" + part +
                 "/a.parquet' (FORMAT parquet)");
  duckdb_->Query("COPY (SELECT [i::BIGINT] AS x FROM range(10) t(i)) TO '" + part +
                 "/b.parquet' (FORMAT parquet)");
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --max-attempts 1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("FAILED p=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("column x.list.element is INT32"), std::string::npos) << r.out;

  fs::remove(part + "/b.parquet");
  r = RunSluice("compact " + src_ + " " + dst_ + "2 --max-attempts 1 --order-by x.list.element");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("the sort column x.list.element is nested"), std::string::npos) << r.out;
}

// DuckDB writes a null fixed-size array as a null list followed by entries that continue it;
// the pages copy as they are, sluice's reader (--verify) reads both sides as DuckDB does, and
// DuckDB reads the output as it read the inputs.
TEST_F(CompactNestedDuckDbTest, NullFixedSizeArraysCopyAsDuckDbWroteThem) {
  std::string part = src_ + "/p=0";
  fs::create_directories(part);
  for (int f = 0; f < 3; ++f) {
    duckdb_->Query(fmt::format(
        "COPY (SELECT CASE WHEN i % 4 = {} THEN NULL ELSE [i, NULL, 3] END::INTEGER[3] AS a "
        "FROM range(100) t(i)) TO '{}/f{}.parquet' (FORMAT parquet)",
        f, part, f));
  }
  // --verify reads both sides with sluice's reader, which drops DuckDB's padding as DuckDB does.
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --max-attempts 1 --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows(part + "/*.parquet", dst_ + "/p=0/*.parquet");
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM read_parquet('" + dst_ + "/p=0/*.parquet') WHERE a IS NULL"),
      75);
}

bool HasNestedColumn(const std::string& path) {
  parquet::ParquetFooter footer = parquet::ReadFooter(path);
  for (const parquet::ColumnDescriptor& c : footer.schema.columns()) {
    if (c.nested) return true;
  }
  return false;
}

// Two copies of each nested parquet-testing file compact into one; sluice's --verify reads both
// sides, and DuckDB compares them where it reads the file.
TEST_F(CompactNestedDuckDbTest, EveryParquetTestingNestedFileCompacts) {
  fs::path data = fs::path(SLUICE_PARQUET_TESTING_DIR) / "data";
  SLUICE_REQUIRE_TEST_DATA(fs::exists(data), "parquet-testing not found at " << data);
  std::vector<std::string> parts;
  for (const auto& entry : fs::directory_iterator(data)) {
    std::string name = entry.path().filename().string();
    // Its one page holds 1 GiB uncompressed, past the reader's page limit that --verify meets.
    if (entry.path().extension() != ".parquet" || name == "large_string_map.brotli.parquet") {
      continue;
    }
    if (!HasNestedColumn(entry.path().string())) continue;
    std::string part = src_ + "/" + entry.path().stem().string();
    fs::create_directories(part);
    fs::copy_file(entry.path(), part + "/a.parquet");
    fs::copy_file(entry.path(), part + "/b.parquet");
    parts.push_back(entry.path().stem().string());
  }
  EXPECT_GE(parts.size(), 13u);
  Result r = RunSluice("compact " + src_ + " " + dst_ + " --max-attempts 1 --verify");
  ASSERT_EQ(r.status, 0) << r.out;
  int compared = 0;
  for (const std::string& part : parts) {
    std::string in = src_ + "/" + part + "/*.parquet";
    EXPECT_EQ(Files(dst_ + "/" + part), 1) << part;
    try {
      duckdb_->Query("SELECT count(*) FROM read_parquet('" + in + "')");
    } catch (const Error&) {
      continue;  // DuckDB cannot read it (map_no_value); --verify compared it
    }
    ExpectSameRows(in, dst_ + "/" + part + "/*.parquet");
    ++compared;
  }
  EXPECT_GE(compared, 12);
}

}  // namespace
}  // namespace sluice
