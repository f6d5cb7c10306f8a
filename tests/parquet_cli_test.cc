// `sluice cat` and `sluice inspect` end to end: a file written by our writer is printed as RFC
// 4180 CSV and JSON lines with nulls, quoting, ISO 8601 timestamps and exact decimals, and
// inspected as JSON.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "command_output_test_support.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// Runs the binary with `args` and returns its standard output; the exit status goes to `status`.
std::string RunSluice(const std::string& args, int* status) {
  std::string command = std::string(SLUICE_BINARY) + " " + args + " 2>/dev/null";
  return testing::CommandOutput(command, status);
}

class ParquetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_parquet_cli_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    auto schema = std::make_shared<const Schema>(
        std::vector<Field>{{"id", DataType::Int64(), false},
                           {"name", DataType::String()},
                           {"at", DataType::Timestamp(TimeUnit::kMicro, "UTC")},
                           {"price", DataType::Decimal128(10, 2)}});
    Int64Builder id;
    StringBuilder name;
    FixedWidthBuilder<int64_t> at(DataType::Timestamp(TimeUnit::kMicro, "UTC"));
    Decimal128Builder price(DataType::Decimal128(10, 2));
    id.Append(1), name.Append("plain"), at.Append(1706704496123456), price.Append({12345, 0});
    id.Append(2), name.Append("a, \"quoted\"\nline"), at.AppendNull(),
        price.Append(Decimal128::FromInt128(-5));
    id.Append(3), name.AppendNull(), at.Append(0), price.AppendNull();
    path_ = (dir_ / "t.parquet").string();
    parquet::WriteParquetFile(
        path_, schema,
        {RecordBatch::Make(schema, {id.Finish(), name.Finish(), at.Finish(), price.Finish()})});
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST(SluiceCliTest, VersionPrintsTheProjectVersion) {
  int status = 0;
  const std::string out =
      testing::CommandOutput(std::string(SLUICE_BINARY) + " --version 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_TRUE(std::regex_match(out, std::regex("sluice [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << out;
}

TEST_F(ParquetCliTest, CatPrintsCsvAndJsonLines) {
  int status = 0;
  EXPECT_EQ(RunSluice("cat " + path_, &status),
            "id,name,at,price\r\n"
            "1,plain,2024-01-31T12:34:56.123456Z,123.45\r\n"
            "2,\"a, \"\"quoted\"\"\nline\",,-0.05\r\n"
            "3,,1970-01-01T00:00:00Z,\r\n");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(RunSluice("cat --format jsonl --columns price,id --limit 2 " + path_, &status),
            "{\"price\":\"123.45\",\"id\":1}\n{\"price\":\"-0.05\",\"id\":2}\n");
  EXPECT_EQ(RunSluice("cat --columns nope " + path_, &status), "");
  EXPECT_NE(status, 0);
}

TEST_F(ParquetCliTest, InspectPrintsJson) {
  int status = 0;
  nlohmann::json d = nlohmann::json::parse(RunSluice("inspect --json " + path_, &status));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(d["num_rows"], 3);
  EXPECT_EQ(d["columns"][3]["type"], "decimal128(10, 2)");
  const auto& price = d["row_groups"][0]["columns"][3];
  EXPECT_EQ(price["codec"], "SNAPPY");
  EXPECT_EQ(price["statistics"]["min"], "-0.05");
  EXPECT_EQ(price["statistics"]["max"], "123.45");
  EXPECT_EQ(price["statistics"]["null_count"], 1);
  std::string text = RunSluice("inspect " + path_, &status);
  EXPECT_NE(text.find("rows: 3 in 1 row groups"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice
