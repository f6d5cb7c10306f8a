// The decoders of this layer against real files: every page of every column chunk in
// parquet-testing's data/ is walked, checksummed, decompressed and decoded; files with expected
// values are compared value by value; every bad_data file must fail with InvalidData.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/expected_csv_test_support.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/parquet_testing_internal.h"
#include "sluice/io/parquet/reference_column_decoder_test_support.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;
using testing::DecodeColumnChunk;

using testing::SplitCsvLine;

class PageDecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ParquetTestingDir();
    SLUICE_REQUIRE_TEST_DATA(fs::exists(dir_ / "data"), "parquet-testing not found at " << dir_);
  }
  fs::path dir_;
};

// Files whose pages are refused, and why.
const std::map<std::string, std::string> kRefusedDataFiles = {
    {"datapage_v1-corrupt-checksum.parquet", "CRC mismatch"},
    {"rle-dict-uncompressed-corrupt-checksum.parquet", "CRC mismatch"},
};

TEST_F(PageDecodeTest, EveryDataFileDecodes) {
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto source = LocalFileSource::Open(entry.path().string());
    ParquetFooter footer = ReadFooter(*source);
    auto refused = kRefusedDataFiles.find(name);
    try {
      for (size_t rg = 0; rg < footer.metadata.row_groups.size(); ++rg) {
        for (int c = 0; c < footer.schema.num_columns(); ++c) {
          testing::DecodedColumn column = DecodeColumnChunk(*source, footer, rg, c);
          const ColumnDescriptor& descriptor = footer.schema.columns()[c];
          if (!descriptor.nested) {
            EXPECT_EQ(static_cast<int64_t>(column.values.size()),
                      footer.metadata.row_groups[rg].num_rows)
                << descriptor.DottedPath();
          }
        }
      }
      EXPECT_EQ(refused, kRefusedDataFiles.end()) << "expected a refusal: " << refused->second;
    } catch (const Error& error) {
      ASSERT_NE(refused, kRefusedDataFiles.end()) << error.what();
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      EXPECT_NE(std::string(error.what()).find(refused->second), std::string::npos) << error.what();
    }
  }
}

TEST_F(PageDecodeTest, ChecksummedFilesVerify) {
  for (const char* name :
       {"datapage_v1-uncompressed-checksum.parquet",
        "datapage_v1-snappy-compressed-checksum.parquet",
        "plain-dict-uncompressed-checksum.parquet", "rle-dict-snappy-checksum.parquet"}) {
    SCOPED_TRACE(name);
    auto source = LocalFileSource::Open((dir_ / "data" / name).string());
    ParquetFooter footer = ReadFooter(*source);
    for (int c = 0; c < footer.schema.num_columns(); ++c) {
      EXPECT_NO_THROW(DecodeColumnChunk(*source, footer, 0, c, /*verify_crc=*/true));
    }
  }
  // The corrupt one decodes when verification is off.
  auto source =
      LocalFileSource::Open((dir_ / "data" / "datapage_v1-corrupt-checksum.parquet").string());
  ParquetFooter footer = ReadFooter(*source);
  EXPECT_NO_THROW(DecodeColumnChunk(*source, footer, 0, 0, /*verify_crc=*/false));
}

// The files with an _expect.csv: every value matches.
TEST_F(PageDecodeTest, ExpectedValues) {
  for (const char* stem : {"delta_binary_packed", "delta_byte_array",
                           "delta_encoding_optional_column", "delta_encoding_required_column"}) {
    SCOPED_TRACE(stem);
    std::ifstream csv(dir_ / "data" / (std::string(stem) + "_expect.csv"));
    ASSERT_TRUE(csv.good());
    std::string line;
    std::getline(csv, line);
    std::vector<std::vector<std::optional<std::string>>> rows;
    while (std::getline(csv, line)) rows.push_back(SplitCsvLine(line));
    auto source =
        LocalFileSource::Open((dir_ / "data" / (std::string(stem) + ".parquet")).string());
    ParquetFooter footer = ReadFooter(*source);
    ASSERT_EQ(footer.metadata.num_rows, static_cast<int64_t>(rows.size()));
    for (int c = 0; c < footer.schema.num_columns(); ++c) {
      std::vector<std::optional<std::string>> values;
      for (size_t rg = 0; rg < footer.metadata.row_groups.size(); ++rg) {
        auto column = DecodeColumnChunk(*source, footer, rg, c);
        values.insert(values.end(), column.values.begin(), column.values.end());
      }
      ASSERT_EQ(values.size(), rows.size());
      int mismatches = 0;
      for (size_t r = 0; r < rows.size(); ++r) {
        ASSERT_LT(static_cast<size_t>(c), rows[r].size());
        // The CSV writer wrote empty strings and nulls alike.
        std::optional<std::string> expected = rows[r][c];
        std::optional<std::string> actual = values[r];
        if (actual && actual->empty()) actual.reset();
        if (expected != actual && ++mismatches <= 3) {
          ADD_FAILURE() << "column " << footer.schema.columns()[c].DottedPath() << " row " << r
                        << ": expected " << expected.value_or("<null>") << ", got "
                        << actual.value_or("<null>");
        }
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
}

// ARROW-GH-43605 is in bad_data/ because it crashed Go's reader, but it is valid: dictionary
// indices at bit width 0 are all 0, which pyarrow, parquet-java and Go (since the fix) read.
TEST_F(PageDecodeTest, ZeroBitWidthDictionaryIndicesAreValid) {
  auto source = LocalFileSource::Open((dir_ / "bad_data" / "ARROW-GH-43605.parquet").string());
  ParquetFooter footer = ReadFooter(*source);
  testing::DecodedColumn column = DecodeColumnChunk(*source, footer, 0, 0);
  ASSERT_EQ(column.values.size(), 21186u);
  std::optional<std::string> first;
  for (const auto& value : column.values) {
    if (!value) continue;
    if (!first) first = value;
    EXPECT_EQ(value, first);
  }
}

// Every other bad_data file fails with InvalidData, at the footer or in its pages.
TEST_F(PageDecodeTest, EveryBadDataFileFails) {
  for (const auto& entry : fs::directory_iterator(dir_ / "bad_data")) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    if (name == "ARROW-GH-43605.parquet") continue;
    SCOPED_TRACE(name);
    try {
      auto source = LocalFileSource::Open(entry.path().string());
      ParquetFooter footer = ReadFooter(*source);
      for (size_t rg = 0; rg < footer.metadata.row_groups.size(); ++rg) {
        for (int c = 0; c < footer.schema.num_columns(); ++c) {
          DecodeColumnChunk(*source, footer, rg, c);
        }
      }
      ADD_FAILURE() << name << " decoded without error";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      std::cout << "  " << name << ": " << error.what() << "\n";
    }
  }
}

}  // namespace
}  // namespace sluice::parquet
