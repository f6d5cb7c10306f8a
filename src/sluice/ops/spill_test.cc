#include "sluice/ops/spill.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "sluice/base/error.h"
#include "sluice/table/equal.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class SpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parent_ =
        fs::temp_directory_path() /
        ("sluice-spill-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(parent_);
  }
  void TearDown() override { fs::remove_all(parent_); }
  fs::path parent_;
};

TEST_F(SpillTest, RunReadsBackEveryBlockInWriteOrder) {
  RecordBatch sample = MakeSampleBatch(1000);
  SpillDirectory directory(parent_.string());
  SpillRunWriter writer(directory, "run", sample.shared_schema());
  writer.Write(sample.Slice(0, 10));
  writer.Write(sample.Slice(10, 0));  // skipped
  writer.Write(sample.Slice(10, 990));
  SpillRun run = writer.Finish();
  EXPECT_EQ(run.rows, 1000);
  EXPECT_GT(run.file_bytes, 0);
  EXPECT_EQ(directory.bytes_spilled(), run.file_bytes);
  EXPECT_EQ(directory.runs(), 1);

  SpillRunReader reader(run);
  std::optional<RecordBatch> first = reader.Next();
  std::optional<RecordBatch> second = reader.Next();
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(reader.Next());
  EXPECT_TRUE(*first == sample.Slice(0, 10));
  EXPECT_TRUE(*second == sample.Slice(10, 990));

  SpillRunReader just_second(run, {1});
  std::optional<RecordBatch> only = just_second.Next();
  ASSERT_TRUE(only);
  EXPECT_TRUE(*only == sample.Slice(10, 990));
  EXPECT_FALSE(just_second.Next());
}

// A reader of some blocks decodes only their metadata (from the run's index) and gives them in
// the order asked; a block out of range names the file.
TEST_F(SpillTest, BlocksReadBackInTheOrderAskedAndOutOfRangeIsAnError) {
  RecordBatch sample = MakeSampleBatch(100);
  SpillDirectory directory(parent_.string());
  SpillRunWriter writer(directory, "run", sample.shared_schema());
  for (int b = 0; b < 10; ++b) writer.Write(sample.Slice(b * 10, 10));
  SpillRun run = writer.Finish();
  SpillRunReader reader(run, {7, 2, 9});
  for (int b : {7, 2, 9}) {
    std::optional<RecordBatch> block = reader.Next();
    ASSERT_TRUE(block);
    EXPECT_TRUE(*block == sample.Slice(b * 10, 10)) << b;
  }
  EXPECT_FALSE(reader.Next());
  try {
    SpillRunReader bad(run, {10});
    FAIL() << "block 10 of 10 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(run.path), std::string::npos) << e.what();
  }
}

TEST_F(SpillTest, DirectoryIsRemovedOnSuccessAndOnUnwinding) {
  std::string path;
  {
    SpillDirectory directory(parent_.string());
    path = directory.path();
    SpillRunWriter writer(directory, "a", MakeSampleBatch(1).shared_schema());
    writer.Write(MakeSampleBatch(5));
    writer.Finish();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(fs::path(path).parent_path(), parent_);
  }
  EXPECT_FALSE(fs::exists(path));

  try {
    SpillDirectory directory(parent_.string());
    path = directory.path();
    SpillRunWriter unfinished(directory, "b", MakeSampleBatch(1).shared_schema());
    unfinished.Write(MakeSampleBatch(5));
    throw std::runtime_error("stage failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(parent_));
}

TEST_F(SpillTest, FileNamesAreUnique) {
  SpillDirectory directory(parent_.string());
  EXPECT_NE(directory.NewFilePath("p"), directory.NewFilePath("p"));
  SpillDirectory other(parent_.string());
  EXPECT_NE(directory.path(), other.path());
}

}  // namespace
}  // namespace sluice
