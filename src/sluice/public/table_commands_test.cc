// The public library as a user calls it: sluice's own headers only from include/sluice/ (and a
// scratch directory), files in and out, errors as sluice::api::Error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sluice/base/testing/scratch_dir.h"
#include "sluice/sluice.h"

namespace sluice::api {
namespace {

namespace fs = std::filesystem;

class TableCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write("sales.csv", "region,units\nnorth,3\nsouth,5\nnorth,4\neast,1\nsouth,2\n");
    Write("regions.csv", "region,manager\nnorth,Ana\nsouth,Bo\nwest,Cy\n");
  }

  std::string Path(const std::string& name) const { return dir_.Path(name); }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name)) << text;
  }
  std::string Read(const std::string& name) const {
    std::stringstream text;
    text << std::ifstream(Path(name)).rdbuf();
    return text.str();
  }

  ScratchDir dir_{"sluice-public"};
};

TEST_F(TableCommandsTest, GroupByWritesParquetWhoseSchemaAndRowsReadBack) {
  const TableResult result = GroupBy({.inputs = {Path("sales.csv")},
                                      .by = {"region"},
                                      .aggregates = "sum(units) as units, count(*) as n",
                                      .output = Path("by_region.parquet")});
  EXPECT_EQ(result.input_rows, 5);
  EXPECT_EQ(result.output_rows, 3);
  EXPECT_GE(result.seconds, 0);

  const ParquetInfo info = ReadParquetInfo(Path("by_region.parquet"));
  EXPECT_EQ(info.rows, 3);
  EXPECT_GE(info.row_groups, 1);
  ASSERT_EQ(info.columns.size(), 3u);
  EXPECT_EQ(info.columns[0].name, "region");
  EXPECT_EQ(info.columns[0].type, "string");
  EXPECT_EQ(info.columns[1].name, "units");
  EXPECT_EQ(info.columns[1].type, "int64");
  EXPECT_EQ(info.columns[2].name, "n");
}

TEST_F(TableCommandsTest, SortOrdersByKeysAndKeepsTheLimit) {
  const TableResult result = Sort({.inputs = {Path("sales.csv")},
                                   .by = "units:desc",
                                   .limit = 3,
                                   .where = "region <> 'east'",
                                   .output = Path("top.csv")});
  EXPECT_EQ(result.input_rows, 4);
  EXPECT_EQ(result.output_rows, 3);
  EXPECT_EQ(Read("top.csv"), "region,units\r\nsouth,5\r\nnorth,4\r\nnorth,3\r\n");
}

TEST_F(TableCommandsTest, DistinctKeepsTheFirstRowOfEachKey) {
  const TableResult result =
      Distinct({.inputs = {Path("sales.csv")}, .by = {"region"}, .output = Path("first.parquet")});
  EXPECT_EQ(result.output_rows, 3);
  Sort({.inputs = {Path("first.parquet")}, .by = "region", .output = Path("first.csv")});
  EXPECT_EQ(Read("first.csv"), "region,units\r\neast,1\r\nnorth,3\r\nsouth,5\r\n");
}

TEST_F(TableCommandsTest, JoinMatchesKeysOfBothSides) {
  const TableResult result = Join({.left = Path("sales.csv"),
                                   .right = Path("regions.csv"),
                                   .left_keys = {"region"},
                                   .how = "left",
                                   .output = Path("joined.parquet")});
  EXPECT_EQ(result.input_rows, 8);
  EXPECT_EQ(result.output_rows, 5);
  Sort({.inputs = {Path("joined.parquet")}, .by = "units", .output = Path("joined.csv")});
  EXPECT_EQ(Read("joined.csv"),
            "region,units,manager\r\neast,1,\r\nsouth,2,Bo\r\nnorth,3,Ana\r\nnorth,4,Ana\r\n"
            "south,5,Bo\r\n");
}

TEST_F(TableCommandsTest, InternalErrorsArriveAsPublicErrorsWithTheirMessage) {
  try {
    GroupBy({.inputs = {Path("*.tsv")}, .aggregates = "count(*)", .output = Path("o.csv")});
    FAIL() << "no error for a pattern without matches";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("*.tsv"), std::string::npos) << e.what();
  }
  try {
    Sort({.inputs = {Path("sales.csv")}, .by = "units", .output = Path("o.txt")});
    FAIL() << "no error for an output that is neither Parquet nor CSV";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  try {
    Sort({.inputs = {Path("sales.csv")}, .by = "nope", .output = Path("o.csv")});
    FAIL() << "no error for an unknown sort column";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(Path("o.csv"))) << "a failed call left its output";
  Write("bad.parquet", "not a parquet file");
  EXPECT_THROW(ReadParquetInfo(Path("bad.parquet")), Error);
}

TEST(PublicVersion, TheLibraryIsTheVersionOfItsHeaders) {
  EXPECT_EQ(LibraryVersion(), kVersion);
  EXPECT_EQ(kVersion, std::to_string(SLUICE_VERSION_MAJOR) + "." +
                          std::to_string(SLUICE_VERSION_MINOR) + "." +
                          std::to_string(SLUICE_VERSION_PATCH));
}

}  // namespace
}  // namespace sluice::api
