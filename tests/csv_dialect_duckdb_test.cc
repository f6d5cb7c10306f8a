// CSV that never changes a value, end to end: the sluice binary reads CSV files (inference
// cases, every dialect flag, lenient quotes) through sort, groupby, distinct, join, batch, bloom
// and cat, writes Parquet, and DuckDB reads both that output and the same CSV file (with its
// matching options) to compare values as multisets (EXCEPT ALL both ways). Where DuckDB's
// inference would change a value (1e5 as 100000, 20 digits as a double), the reference is
// DuckDB's read of the text (all_varchar): sluice must give back the text as it stands.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class CsvDialectDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    dir_ = fs::temp_directory_path() /
           ("sluice_csv_dialect_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  testing::CommandRun Sluice(const std::string& args) {
    return testing::RunSluice(SLUICE_BINARY, args);
  }

  // sluice sort CSV --by KEY FLAGS -o out.parquet; the output's path.
  std::string SortToParquet(const std::string& csv, const std::string& key,
                            const std::string& flags = "") {
    const std::string out = Path("sorted.parquet");
    fs::remove(out);
    testing::CommandRun r = Sluice("sort '" + csv + "' --by " + key + " " + flags + " -o " + out);
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }

  // DuckDB's type name of each column of a query, comma-separated.
  std::string Types(const std::string& from) {
    RecordBatch b =
        duckdb_->Query("SELECT string_agg(column_type, ',') FROM (DESCRIBE " + from + ")");
    return std::string(b.column(0).BinaryValue(0));
  }

  void ExpectSameRows(const std::string& ours, const std::string& theirs) {
    testing::MultisetDifference d = testing::CompareMultisets(*duckdb_, ours, theirs);
    EXPECT_EQ(d.only_ours, 0) << ours << "\nvs\n" << theirs;
    EXPECT_EQ(d.only_theirs, 0) << ours << "\nvs\n" << theirs;
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
};

std::string ReadParquet(const std::string& path) {
  return "SELECT * FROM read_parquet('" + path + "')";
}

// Zip codes and '+1': DuckDB keeps them text; so does sluice, and the values are the text.
TEST_F(CsvDialectDuckDbTest, LeadingZerosAndPlusSignsStayTextAsInDuckDb) {
  if (!duckdb_) return;
  const std::string csv = Write("zips.csv",
                                "id,zip,plus,float0\n1,08123,+1,01.5\n2,10001,2,2.0\n"
                                "3,00501,3,3.5\n");
  const std::string out = SortToParquet(csv, "id");
  const std::string theirs = "SELECT * FROM read_csv('" + csv + "')";
  EXPECT_EQ(Types(theirs), "BIGINT,VARCHAR,VARCHAR,VARCHAR");
  EXPECT_EQ(Types(ReadParquet(out)), "BIGINT,VARCHAR,VARCHAR,VARCHAR");
  ExpectSameRows(ReadParquet(out), theirs);
  RecordBatch zip = duckdb_->Query("SELECT zip FROM read_parquet('" + out + "') WHERE id = 1");
  EXPECT_EQ(zip.column(0).BinaryValue(0), "08123");
}

// Where DuckDB would change the text (1e5 as 100000.0, 30 digits as a double, -08 as -8, a date
// column it cannot read), sluice keeps the text, equal to DuckDB's read as text.
TEST_F(CsvDialectDuckDbTest, ValuesDuckDbWouldChangeStayText) {
  if (!duckdb_) return;
  const std::string csv =
      Write("changes.csv",
            "id,e,long,neg,d,ns\n"
            "1,1e5,123456789012345678901234567890,-08,2024-01-02,2024-01-02 10:00:00.123456789\n"
            "2,100000,12345678901234567890,5,01/02/2024,2024-01-02 10:00:00\n");
  const std::string out = SortToParquet(csv, "id");
  EXPECT_EQ(Types(ReadParquet(out)), "BIGINT,VARCHAR,VARCHAR,VARCHAR,VARCHAR,VARCHAR");
  ExpectSameRows(ReadParquet(out), "SELECT id::BIGINT, * EXCLUDE (id) FROM read_csv('" + csv +
                                       "', all_varchar=true)");
  // DuckDB's own inference reads 1e5 as a double and the long digits as a double.
  EXPECT_EQ(Types("SELECT e, long FROM read_csv('" + csv + "')"), "DOUBLE,DOUBLE");
}

// Values that read back as written stay typed, as DuckDB types them.
TEST_F(CsvDialectDuckDbTest, NumbersThatRoundTripAreTyped) {
  if (!duckdb_) return;
  const std::string csv = Write("numbers.csv",
                                "id,i,x,d,t\n1,0,1.5,2024-01-02,2024-01-02 10:00:00\n"
                                "2,-7,1e-05,2024-02-29,2024-01-02T11:00:00.5\n3,,2,,\n");
  const std::string out = SortToParquet(csv, "id");
  const std::string theirs = "SELECT * FROM read_csv('" + csv + "')";
  EXPECT_EQ(Types(theirs), "BIGINT,BIGINT,DOUBLE,DATE,TIMESTAMP");
  EXPECT_EQ(Types(ReadParquet(out)), "BIGINT,BIGINT,DOUBLE,DATE,TIMESTAMP");
  ExpectSameRows(ReadParquet(out), theirs);
}

// --schema overrides inference on every command, spelled col:type (or col=type).
TEST_F(CsvDialectDuckDbTest, SchemaOverridesInference) {
  if (!duckdb_) return;
  const std::string csv = Write("zips.csv", "id,zip\n1,08123\n2,10001\n3,08123\n");
  const std::string out = SortToParquet(csv, "id", "--schema zip:int64,id:int32");
  EXPECT_EQ(Types(ReadParquet(out)), "INTEGER,BIGINT");
  ExpectSameRows(ReadParquet(out),
                 "SELECT * FROM read_csv('" + csv + "', types={'id': 'INTEGER', 'zip': 'BIGINT'})");
  const std::string grouped = Path("grouped.parquet");
  testing::CommandRun r = Sluice("groupby " + csv + " --by zip --agg 'count(*) as n' --schema " +
                                 "zip=int64 -o " + grouped);
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows(ReadParquet(grouped), "SELECT zip, count(*) AS n FROM read_csv('" + csv +
                                           "', types={'zip': 'BIGINT'}) GROUP BY zip");
  r = Sluice("sort " + csv + " --by id --schema zip:int128 -o " + Path("x.parquet"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("unknown column type 'int128'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--schema"), std::string::npos) << r.out;
}

// A value past the inference sample that would change is an error naming the file and line.
TEST_F(CsvDialectDuckDbTest, LateValueThatWouldChangeIsAnError) {
  if (!duckdb_) return;
  std::string text = "id,zip\n";
  for (int i = 1; i <= 1500; ++i)
    text += std::to_string(i) + "," + std::to_string(10000 + i) + "\n";
  text += "1501,08123\n";
  const std::string csv = Write("late.csv", text);
  testing::CommandRun r = Sluice("sort " + csv + " --by id -o " + Path("x.parquet"));
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("'08123' would not read back as the same text as int64"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("line 1502"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(Path("x.parquet")));
  const std::string out = SortToParquet(csv, "id", "--schema zip:string");
  ExpectSameRows(ReadParquet(out),
                 "SELECT * FROM read_csv('" + csv + "', types={'zip': 'VARCHAR'})");
}

// 12.3" N: strict (the default) fails naming the file and line; --lenient-quotes reads it on
// every command as DuckDB does.
TEST_F(CsvDialectDuckDbTest, LenientQuotesReadAStrayQuoteOnEveryCommand) {
  if (!duckdb_) return;
  const std::string csv = Write("coords.csv",
                                "id,lat,note\n1,12.3\" N,\"quoted, with comma\"\n"
                                "2,45\" W,plain\n3,5'10\",\"two\nlines\"\n4,12.3\" N,x\n");
  const std::string theirs = "SELECT * FROM read_csv('" + csv + "')";
  testing::CommandRun strict = Sluice("sort " + csv + " --by id -o " + Path("x.parquet"));
  EXPECT_NE(strict.status, 0);
  EXPECT_NE(strict.out.find("quote inside an unquoted field"), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find(csv), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find("line 2"), std::string::npos) << strict.out;

  ExpectSameRows(ReadParquet(SortToParquet(csv, "id", "--lenient-quotes")), theirs);

  const std::string grouped = Path("grouped.parquet");
  testing::CommandRun r =
      Sluice("groupby " + csv + " --by lat --agg 'count(*) as n' --lenient-quotes -o " + grouped);
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows(ReadParquet(grouped),
                 "SELECT lat, count(*) AS n FROM (" + theirs + ") GROUP BY lat");

  const std::string distinct = Path("distinct.parquet");
  r = Sluice("distinct " + csv + " --by lat --lenient-quotes -o " + distinct);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(duckdb_->Query("SELECT count(*) FROM read_parquet('" + distinct + "')")
                .column(0)
                .Value<int64_t>(0),
            3);

  const std::string joined = Path("joined.parquet");
  r = Sluice("join " + csv + " " + csv + " --on id --lenient-quotes -o " + joined);
  ASSERT_EQ(r.status, 0) << r.out;
  ExpectSameRows("SELECT id, lat, note FROM read_parquet('" + joined + "')",
                 "SELECT id, lat, note FROM (" + theirs + ")");

  const std::string filter = Path("lat.bloom");
  r = Sluice("bloom " + csv + " --column lat --lenient-quotes -o " + filter);
  ASSERT_EQ(r.status, 0) << r.out;
  int status = 0;
  const std::string probed = testing::CommandOutput(
      std::string(SLUICE_BINARY) + " bloom check " + filter + " '12.3\" N' 2>&1", &status);
  EXPECT_EQ(probed, "12.3\" N\tmaybe\n");

  const std::string batched = Path("batched");
  const std::string batch_out = testing::CommandOutput(
      std::string(SLUICE_BINARY) + " batch -i " + csv + " --by id --chunks 2 --lenient-quotes -o " +
          batched + " --progress off -- cp {input} {output} 2>&1",
      &status);
  ASSERT_EQ(status, 0) << batch_out;
  ExpectSameRows("SELECT * FROM read_parquet('" + batched + "/*.parquet')", theirs);

  const std::string printed = testing::CommandOutput(
      std::string(SLUICE_BINARY) + " cat " + csv + " --lenient-quotes --format jsonl --limit 1",
      &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(printed, "{\"id\":1,\"lat\":\"12.3\\\" N\",\"note\":\"quoted, with comma\"}\n");
}

// --delimiter, --quote, --escape, --null, --no-header and --comment together, against DuckDB's
// read_csv with the same options.
TEST_F(CsvDialectDuckDbTest, EveryDialectOptionMatchesDuckDb) {
  if (!duckdb_) return;
  const std::string csv = Write("dialect.csv",
                                "1|'a|b'|NA|2024-01-02\n"
                                "2|'it\\'s'|x|NA\n"
                                "3|plain|''|2024-01-03\n");
  const std::string out = SortToParquet(
      csv, "column1", "--delimiter '|' --quote \"'\" --escape '\\' --null NA --no-header");
  const std::string theirs = "SELECT * FROM read_csv('" + csv +
                             "', delim='|', quote='''', escape='\\', nullstr='NA', header=false)";
  EXPECT_EQ(Types(ReadParquet(out)), Types(theirs));
  ExpectSameRows(ReadParquet(out), theirs);
  // A quoted '' is an empty string, not null; NA unquoted is null.
  RecordBatch b = duckdb_->Query(
      "SELECT count(*) FILTER (column3 IS NULL), count(*) FILTER "
      "(column3 = '') FROM read_parquet('" +
      out + "')");
  EXPECT_EQ(b.column(0).Value<int64_t>(0), 1);
  EXPECT_EQ(b.column(1).Value<int64_t>(0), 1);

  // A tab-separated .tsv needs no --delimiter; a comment line is skipped with --comment.
  const std::string tsv = Write("t.tsv", "# note\nid\tv\n1\t08\n2\t9\n");
  const std::string tsv_out = SortToParquet(tsv, "id", "--comment '#'");
  ExpectSameRows(ReadParquet(tsv_out), "SELECT * FROM (VALUES (1::BIGINT, '08'), (2, '9'))");
}

}  // namespace
}  // namespace sluice
