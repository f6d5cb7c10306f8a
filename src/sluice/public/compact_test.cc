// Compact through the public API: a small hive-partitioned dataset written with Sort, compacted,
// read back with ReadParquetInfo, and compacted again (the job resumes: nothing left to do).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sluice/base/testing/scratch_dir.h"
#include "sluice/sluice.h"

namespace sluice::api {
namespace {

namespace fs = std::filesystem;

class CompactTest : public ::testing::Test {
 protected:
  // A Parquet file of `rows` rows at src/<relative>, written by Sort from a CSV file.
  void WriteParquet(const std::string& relative, int rows) {
    const fs::path csv = dir_ / "input.csv";
    std::ofstream text(csv);
    text << "id,name\n";
    for (int i = 0; i < rows; ++i) text << i << ",name" << i << "\n";
    text.close();
    fs::create_directories((dir_ / "src" / relative).parent_path());
    Sort({.inputs = {csv.string()}, .by = "id", .output = (dir_ / "src" / relative).string()});
  }

  std::vector<fs::path> ParquetFiles(const fs::path& dir) const {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".parquet") files.push_back(entry.path());
    }
    return files;
  }

  ScratchDir scratch_{"sluice-public-compact"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(CompactTest, CompactsEachPartitionIntoOneFileAndResumesToNothingLeft) {
  WriteParquet("day=1/a.parquet", 100);
  WriteParquet("day=1/b.parquet", 50);
  WriteParquet("day=2/c.parquet", 30);
  const CompactRequest request{.source = (dir_ / "src").string(),
                               .destination = (dir_ / "dst").string(),
                               .verify = true,
                               .run = {.memory_bytes = 256 << 20, .threads = 2}};

  const CompactResult result = Compact(request);
  EXPECT_TRUE(result.failures.empty()) << result.failures.front();
  EXPECT_EQ(result.partitions, 2);
  EXPECT_EQ(result.partitions_this_call, 2);
  EXPECT_EQ(result.files_in, 3);
  EXPECT_EQ(result.files_out, 2);
  EXPECT_EQ(result.rows, 180);
  EXPECT_TRUE(result.verified);
  const std::vector<fs::path> day1 = ParquetFiles(dir_ / "dst" / "day=1");
  ASSERT_EQ(day1.size(), 1u);
  EXPECT_EQ(ReadParquetInfo(day1[0].string()).rows, 150);

  const CompactResult again = Compact(request);
  EXPECT_EQ(again.partitions, 2);
  EXPECT_EQ(again.partitions_this_call, 0);
}

TEST_F(CompactTest, SortOptionsReachTheJob) {
  WriteParquet("day=1/a.parquet", 100);
  const std::string src = (dir_ / "src").string();
  const RunSettings run{.memory_bytes = 64 << 20, .threads = 2};
  EXPECT_THROW(Compact({.source = src,
                        .destination = (dir_ / "both").string(),
                        .sort_by = "id",
                        .zorder_by = {"id", "name"},
                        .run = run}),
               Error);
  const CompactResult unknown = Compact(
      {.source = src, .destination = (dir_ / "unknown").string(), .sort_by = "nope", .run = run});
  ASSERT_EQ(unknown.failures.size(), 1u);
  EXPECT_NE(unknown.failures[0].find("unknown sort column 'nope'"), std::string::npos)
      << unknown.failures[0];
  const CompactResult sorted = Compact({.source = src,
                                        .destination = (dir_ / "sorted").string(),
                                        .compat = "duckdb",
                                        .zorder_by = {"id", "name"},
                                        .verify = true,
                                        .run = run});
  EXPECT_TRUE(sorted.failures.empty()) << sorted.failures.front();
  EXPECT_EQ(sorted.rows, 100);
  EXPECT_TRUE(sorted.verified);
}

TEST_F(CompactTest, AMissingSourceIsAPublicError) {
  try {
    Compact({.source = (dir_ / "nowhere").string(), .destination = (dir_ / "dst").string()});
    FAIL() << "no error for a missing source";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice::api
