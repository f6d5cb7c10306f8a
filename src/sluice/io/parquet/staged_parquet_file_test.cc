#include "sluice/io/parquet/staged_parquet_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class StagedParquetFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_staged_parquet_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  size_t Entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  fs::path dir_;
};

// Written out of order at offsets, finished: the target holds magic, bytes, footer, length and
// magic, and nothing else is left in the directory.
TEST_F(StagedParquetFileTest, FinishPublishesTheWholeFileAndLeavesNothingElse) {
  const std::string target = (dir_ / "out.parquet").string();
  {
    StagedParquetFile file(target);
    EXPECT_FALSE(fs::exists(target));
    const uint8_t second[] = {3, 4};
    const uint8_t first[] = {1, 2};
    file.WriteAt(6, second);
    file.WriteAt(4, first);
    FileMetaData metadata;
    metadata.version = 2;
    metadata.num_rows = 0;
    const int64_t size = file.Finish(metadata, 8, /*sync=*/true);
    EXPECT_EQ(size, static_cast<int64_t>(fs::file_size(target)));
  }
  std::ifstream in(target, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(bytes.substr(0, 4), "PAR1");
  EXPECT_EQ(bytes.substr(4, 4), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "PAR1");
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(StagedParquetFileTest, AnAbandonedOrDroppedFileLeavesNothing) {
  const std::string target = (dir_ / "out.parquet").string();
  {
    StagedParquetFile file(target);
    const uint8_t bytes[] = {1};
    file.WriteAt(4, bytes);
    EXPECT_EQ(Entries(), 1u);  // the staging file
  }
  EXPECT_EQ(Entries(), 0u);
  StagedParquetFile file(target);
  file.Abandon();
  file.Abandon();
  EXPECT_EQ(Entries(), 0u);
  EXPECT_FALSE(fs::exists(target));
}

}  // namespace
}  // namespace sluice::parquet
