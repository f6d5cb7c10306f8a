#include "sluice/ops/table_files.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sluice {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(OutputWriterBytesTest, AnEighthWithinOneAnd128MiBAndAtMostHalfOfATinyBudget) {
  EXPECT_EQ(OutputWriterBytes(64 * kMiB), 8 * kMiB);
  EXPECT_EQ(OutputWriterBytes(4 * kMiB), 1 * kMiB);
  EXPECT_EQ(OutputWriterBytes(64 * 1024 * kMiB), 128 * kMiB);
  // A tiny budget (tests force spilling with 1 MiB) still leaves the operator half.
  EXPECT_EQ(OutputWriterBytes(1 * kMiB), kMiB / 2);
}

TEST(OutputWriterBytesTest, TakingTheShareLeavesTheRestToTheOperator) {
  int64_t budget = 256 * kMiB;
  const parquet::ParquetWriteOptions options = TakeWriterShare(budget);
  EXPECT_EQ(options.row_group_bytes, 32 * kMiB);
  EXPECT_EQ(budget + options.row_group_bytes, 256 * kMiB);
}

}  // namespace
}  // namespace sluice
