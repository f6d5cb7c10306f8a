// `sluice compact` writes files readers can skip through, checked by DuckDB: `--bloom-filter`
// columns carry split-block Bloom filters in every row group (parquet_metadata shows them, and
// DuckDB's parquet_bloom_probe rules out row groups for absent values and never for present
// ones), other columns none; every column chunk has an OffsetIndex unless --no-page-index; a
// column whose values cannot be hashed is refused naming it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

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

// The one Parquet file under dir.
std::string OnlyFile(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".parquet") files.push_back(entry.path().string());
  }
  EXPECT_EQ(files.size(), 1u) << dir;
  return files.empty() ? "" : files.front();
}

// Column chunks of the file with and without an OffsetIndex.
std::pair<int, int> OffsetIndexes(const std::string& path) {
  auto reader = parquet::ParquetFileReader::Open(path);
  std::pair<int, int> with_without{0, 0};
  for (const auto& group : reader->footer().metadata.row_groups) {
    for (const auto& chunk : group.columns) {
      ++(chunk.offset_index_offset ? with_without.first : with_without.second);
    }
  }
  return with_without;
}

class CompactSkippingDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so (npm @duckdb/node-bindings)");
    fs::create_directories(src_ + "/p=1");
    for (int f = 0; f < 2; ++f) {
      duckdb_->Query(fmt::format(
          "COPY (SELECT i AS key, md5(i::VARCHAR) AS name, i * 0.5 AS v FROM range({}, {}) t(i)) "
          "TO '{}/p=1/f{}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 5000)",
          f * 20000, (f + 1) * 20000, src_, f));
    }
  }

  // Row groups of `column` in `file` whose Bloom filter rules `value` (SQL literal) out, of all.
  std::pair<int64_t, int64_t> Probe(const std::string& file, const std::string& column,
                                    const std::string& value) {
    const std::string from =
        fmt::format("FROM parquet_bloom_probe('{}', '{}', {})", file, column, value);
    return {duckdb_->QueryInt("SELECT count(*) " + from + " WHERE bloom_filter_excludes"),
            duckdb_->QueryInt("SELECT count(*) " + from)};
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  ScratchDir scratch_{"sluice-compact-skipping"};
  const std::string src_ = scratch_.Path("src");
};

TEST_F(CompactSkippingDuckDbTest, BloomFiltersAndPageIndexesLetReadersSkip) {
  const std::string dst = scratch_.Path("dst");
  testing::CommandRun run =
      RunSluice("compact " + src_ + " " + dst + " --bloom-filter key,name --row-group-rows 5000");
  ASSERT_EQ(run.status, 0) << run.out;
  const std::string file = OnlyFile(dst + "/p=1");
  const int64_t groups =
      duckdb_->QueryInt(fmt::format("SELECT count(*) FROM parquet_metadata('{}') WHERE "
                                    "path_in_schema = 'key'",
                                    file));
  EXPECT_GE(groups, 5);
  for (const char* column : {"key", "name"}) {
    EXPECT_EQ(duckdb_->QueryInt(fmt::format(
                  "SELECT count(*) FROM parquet_metadata('{}') WHERE path_in_schema = '{}' AND "
                  "bloom_filter_offset IS NOT NULL AND bloom_filter_length > 0",
                  file, column)),
              groups)
        << column;
  }
  EXPECT_EQ(duckdb_->QueryInt(fmt::format("SELECT count(*) FROM parquet_metadata('{}') WHERE "
                                          "path_in_schema = 'v' AND bloom_filter_offset IS NOT "
                                          "NULL",
                                          file)),
            0);
  // Absent keys: at 1% false positives nearly every row group is ruled out.
  int64_t excluded = 0, probed = 0;
  for (int k = 100000; k < 100100; ++k) {
    auto [e, n] = Probe(file, "key", std::to_string(k));
    excluded += e;
    probed += n;
  }
  EXPECT_EQ(probed, 100 * groups);
  EXPECT_GE(excluded, probed * 95 / 100);
  // Present values: the row group holding each is never ruled out; the others are (but for a
  // false positive now and then).
  for (int k : {0, 12345, 39999}) {
    auto [e, n] = Probe(file, "key", std::to_string(k));
    EXPECT_GE(n - e, 1) << k;
    EXPECT_LE(n - e, 2) << k;
    std::tie(e, n) = Probe(file, "name", fmt::format("md5('{}')", k));
    EXPECT_GE(n - e, 1) << k;
    EXPECT_EQ(duckdb_->QueryInt(fmt::format("SELECT count(*) FROM '{}' WHERE key = {}", file, k)),
              1);
  }
  auto [with, without] = OffsetIndexes(file);
  EXPECT_EQ(without, 0);
  EXPECT_EQ(with, groups * 3);
}

TEST_F(CompactSkippingDuckDbTest, NoPageIndexAndAColumnThatCannotBeHashed) {
  const std::string plain = scratch_.Path("plain");
  testing::CommandRun run = RunSluice("compact " + src_ + " " + plain + " --no-page-index");
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_EQ(OffsetIndexes(OnlyFile(plain + "/p=1")).first, 0);

  run = RunSluice("compact " + src_ + " " + scratch_.Path("refused") + " --bloom-filter v");
  EXPECT_NE(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("--bloom-filter takes flat integer"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("column v"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace sluice
