// ParquetFileReader against parquet-testing: every flat file reads in bounded batches, projected
// nested fields read whole (their leaves are refused by path), files with *_expect.csv match it,
// and every bad_data file fails with an error rather than a crash. (Value-by-value agreement with
// DuckDB is in tests/parquet_duckdb_test.cc.)
#include "sluice/io/parquet/file_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/expected_csv_test_support.h"
#include "sluice/io/parquet/parquet_testing_internal.h"
#include "sluice/table/dictionary.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class FileReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ParquetTestingDir();
    SLUICE_REQUIRE_TEST_DATA(fs::exists(dir_ / "data"), "parquet-testing not found at " << dir_);
  }
  std::string Data(const std::string& name) const { return (dir_ / "data" / name).string(); }
  fs::path dir_;
};

std::vector<std::string> FlatColumns(const ParquetFileReader& reader) {
  std::vector<std::string> names;
  for (const ColumnDescriptor& column : reader.footer().schema.columns()) {
    if (!column.nested) names.push_back(column.DottedPath());
  }
  return names;
}

// Files whose data is refused, and a word the error must contain.
const std::map<std::string, std::string> kRefusedDataFiles = {
    {"datapage_v1-corrupt-checksum.parquet", "CRC"},
    {"rle-dict-uncompressed-corrupt-checksum.parquet", "CRC"},
    {"int96_from_spark.parquet", "int96_unit"},  // dates past 2262 at nanoseconds
};

TEST_F(FileReaderTest, EveryFlatFileReadsInBoundedBatches) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto reader = ParquetFileReader::Open(entry.path().string());
    ParquetReadOptions options;
    options.columns = FlatColumns(*reader);
    if (options.columns.empty()) continue;
    options.batch_rows = 777;
    auto refused = kRefusedDataFiles.find(name);
    try {
      int64_t rows = 0;
      for (const RecordBatch& batch : reader->ReadAll(options)) {
        EXPECT_LE(batch.num_rows(), 777);
        EXPECT_EQ(batch.num_columns(), static_cast<int>(options.columns.size()));
        rows += batch.num_rows();
      }
      EXPECT_EQ(rows, reader->num_rows());
      EXPECT_EQ(refused, kRefusedDataFiles.end()) << "expected a refusal";
      ++files;
    } catch (const Error& error) {
      ASSERT_NE(refused, kRefusedDataFiles.end()) << error.what();
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      EXPECT_NE(std::string(error.what()).find(refused->second), std::string::npos) << error.what();
      EXPECT_EQ(error.ContextValue("file"), entry.path().string());
      EXPECT_FALSE(error.ContextValue("row_group").empty());
      EXPECT_FALSE(error.ContextValue("column").empty());
      EXPECT_FALSE(error.ContextValue("page").empty());
      if (refused->second == "CRC") {
        // Without verification the data reads.
        options.column_options.verify_crc = false;
        EXPECT_NO_THROW(reader->ReadAll(options));
      }
    }
  }
  EXPECT_GT(files, 40);
}

// Dictionary-encoded pages read as indices and decoded give the values read directly, whatever
// the file mixes (dictionary pages followed by plain ones, nulls, v2 pages).
TEST_F(FileReaderTest, KeptDictionariesDecodeToTheSameValues) {
  int dictionary_batches = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".parquet" || kRefusedDataFiles.contains(name)) continue;
    SCOPED_TRACE(name);
    auto reader = ParquetFileReader::Open(entry.path().string());
    ParquetReadOptions plain;
    plain.columns = FlatColumns(*reader);
    if (plain.columns.empty()) continue;
    plain.batch_rows = 333;
    ParquetReadOptions kept = plain;
    kept.dictionary_columns = plain.columns;
    std::vector<RecordBatch> expected = reader->ReadAll(plain);
    std::vector<RecordBatch> got = reader->ReadAll(kept);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t b = 0; b < got.size(); ++b) {
      for (int c = 0; c < got[b].num_columns(); ++c) {
        dictionary_batches += got[b].column(c).is_dictionary();
      }
      ASSERT_TRUE(RecordBatchEquals(DecodeDictionaries(got[b]), expected[b])) << "batch " << b;
    }
  }
  EXPECT_GT(dictionary_batches, 10);
}

TEST_F(FileReaderTest, ExpectedCsvValues) {
  for (const char* stem : {"delta_binary_packed", "delta_byte_array",
                           "delta_encoding_optional_column", "delta_encoding_required_column"}) {
    SCOPED_TRACE(stem);
    std::vector<testing::CsvRow> rows =
        testing::ReadExpectedCsv(dir_ / "data" / (std::string(stem) + "_expect.csv"));
    auto reader = ParquetFileReader::Open(Data(std::string(stem) + ".parquet"));
    ParquetReadOptions options;
    options.batch_rows = 100;
    int64_t row = 0;
    int mismatches = 0;
    for (const RecordBatch& batch : reader->ReadAll(options)) {
      for (int64_t r = 0; r < batch.num_rows(); ++r, ++row) {
        ASSERT_LT(row, static_cast<int64_t>(rows.size()));
        for (int c = 0; c < batch.num_columns(); ++c) {
          const Array& column = batch.column(c);
          std::optional<std::string> actual;
          if (column.IsValid(r)) {
            actual = column.type().layout() == Layout::kVariableBinary
                         ? std::string(column.BinaryValue(r))
                         : FormatValue(column, r);
          }
          // The CSV writer wrote empty strings and nulls alike.
          if (actual && actual->empty()) actual.reset();
          if (actual != rows[row][c] && ++mismatches <= 3) {
            ADD_FAILURE() << batch.schema().field(c).name << " row " << row << ": expected "
                          << rows[row][c].value_or("<null>") << ", got "
                          << actual.value_or("<null>");
          }
        }
      }
    }
    EXPECT_EQ(row, static_cast<int64_t>(rows.size()));
    EXPECT_EQ(mismatches, 0);
  }
}

TEST_F(FileReaderTest, TypesFollowLogicalAndConvertedTypes) {
  auto reader = ParquetFileReader::Open(Data("alltypes_plain.parquet"));
  std::vector<RecordBatch> batches = reader->ReadAll();
  ASSERT_EQ(batches.size(), 1u);
  const RecordBatch& batch = batches[0];
  EXPECT_EQ(batch.column("timestamp_col").type(), DataType::Timestamp(sluice::TimeUnit::kNano));
  EXPECT_EQ(FormatValue(batch.column("timestamp_col"), 0), "2009-03-01 00:00:00");
  EXPECT_EQ(batch.column("bool_col").type(), DataType::Bool());
  EXPECT_EQ(batch.column("string_col").type(), DataType::Binary());  // no UTF8 annotation
  EXPECT_EQ(batch.column("double_col").type(), DataType::Float64());

  auto decimals = ParquetFileReader::Open(Data("int32_decimal.parquet"))->ReadAll();
  EXPECT_EQ(decimals[0].column(0).type(), DataType::Decimal128(4, 2));
  EXPECT_EQ(FormatValue(decimals[0].column(0), 0), "1.00");
  auto fixed = ParquetFileReader::Open(Data("fixed_length_decimal.parquet"))->ReadAll();
  EXPECT_EQ(fixed[0].column(0).type(), DataType::Decimal128(25, 2));
  EXPECT_EQ(FormatValue(fixed[0].column(0), 0), "1.00");
  auto half = ParquetFileReader::Open(Data("float16_nonzeros_and_nans.parquet"))->ReadAll();
  EXPECT_EQ(half[0].column(0).type(), DataType::Float32());
}

// Spark's INT96 dates past 2262 do not fit nanoseconds, and this file's last value does not even
// fit microseconds: refused with a hint to read at a coarser unit, read at seconds.
TEST_F(FileReaderTest, Int96OutOfNanosecondRange) {
  auto reader = ParquetFileReader::Open(Data("int96_from_spark.parquet"));
  try {
    reader->ReadAll();
    ADD_FAILURE() << "read INT96 dates past 2262 as nanoseconds";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidData);
    EXPECT_NE(std::string(error.what()).find("int96_unit"), std::string::npos) << error.what();
  }
  ParquetReadOptions options;
  options.column_options.int96_unit = sluice::TimeUnit::kMicro;
  EXPECT_THROW(reader->ReadAll(options), Error);
  options.column_options.int96_unit = sluice::TimeUnit::kSecond;
  std::vector<RecordBatch> batches = reader->ReadAll(options);
  ASSERT_EQ(batches.size(), 1u);
  const Array& a = batches[0].column(0);
  EXPECT_EQ(a.type(), DataType::Timestamp(sluice::TimeUnit::kSecond));
  // Spark wrote from a UTC-8 session.
  EXPECT_EQ(FormatValue(a, 0), "2024-01-01 20:34:56");
  EXPECT_EQ(a.Value<int64_t>(2), 253402225200);  // 9999-12-31 03:00:00 UTC
  EXPECT_TRUE(a.IsNull(4));
}

TEST_F(FileReaderTest, ProjectionAndRowGroups) {
  auto reader = ParquetFileReader::Open(Data("alltypes_plain.parquet"));
  ParquetReadOptions options;
  options.columns = {"string_col", "id"};
  std::vector<RecordBatch> batches = reader->ReadAll(options);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].schema().field(0).name, "string_col");
  EXPECT_EQ(batches[0].schema().field(1).name, "id");
  EXPECT_EQ(batches[0].column(1).Value<int32_t>(0), 4);

  options.columns = {"no_such_column"};
  try {
    reader->ReadAll(options);
    ADD_FAILURE() << "read an unknown column";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(error.what()).find("no_such_column"), std::string::npos);
  }

  options.columns = {};
  options.row_groups = {5};
  EXPECT_THROW(reader->ReadAll(options), Error);

  // Zero columns still count rows.
  auto tiny = ParquetFileReader::Open(Data("alltypes_tiny_pages.parquet"));
  ParquetReadOptions none;
  none.columns = {"id"};
  none.batch_rows = 1000;
  int64_t rows = 0;
  for (const RecordBatch& batch : tiny->ReadAll(none)) rows += batch.num_rows();
  EXPECT_EQ(rows, tiny->num_rows());
}

TEST_F(FileReaderTest, NestedFieldsReadWholeAndTheirLeavesAreRefusedByPath) {
  auto reader = ParquetFileReader::Open(Data("nullable.impala.parquet"));
  std::vector<RecordBatch> all = reader->ReadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].num_columns(), 6);
  EXPECT_EQ(all[0].schema().field(1).type.ToString(), "list<int32>");
  ParquetReadOptions leaf;
  leaf.columns = {"int_array.list.element"};
  try {
    reader->ReadAll(leaf);
    ADD_FAILURE() << "read a leaf inside a nested column";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotSupported) << error.what();
    EXPECT_EQ(error.ContextValue("column"), "int_array.list.element") << error.what();
    EXPECT_NE(std::string(error.what()).find("read int_array whole"), std::string::npos)
        << error.what();
  }
  ParquetReadOptions options;
  options.columns = {"id"};
  std::vector<RecordBatch> batches = reader->ReadAll(options);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].num_rows(), reader->num_rows());
}

// Every bad_data file fails with an Error (InvalidData, or NotSupported for what we refuse),
// never a crash; ARROW-GH-43605 is valid (see page_decode_test.cc).
TEST_F(FileReaderTest, EveryBadDataFileFails) {
  for (const auto& entry : fs::directory_iterator(dir_ / "bad_data")) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    if (name == "ARROW-GH-43605.parquet") continue;
    SCOPED_TRACE(name);
    try {
      auto reader = ParquetFileReader::Open(entry.path().string());
      reader->ReadAll();
      ADD_FAILURE() << name << " read without error";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      EXPECT_EQ(error.ContextValue("file"), entry.path().string()) << error.what();
      std::cout << "  " << name << ": " << error.what() << "\n";
    }
  }
}

// Random byte damage to real files (in their pages and their footers) gives an Error or a
// successful read, never a crash or another exception (such as bad_alloc from a claimed size).
TEST_F(FileReaderTest, RandomDamageNeverCrashes) {
  std::mt19937_64 rng(6);
  int errors = 0;
  for (const char* name :
       {"alltypes_plain.parquet", "alltypes_dictionary.parquet", "datapage_v2.snappy.parquet",
        "delta_byte_array.parquet", "delta_encoding_optional_column.parquet",
        "byte_stream_split.zstd.parquet", "rle_boolean_encoding.parquet",
        "fixed_length_decimal.parquet", "int32_with_null_pages.parquet",
        "lz4_raw_compressed.parquet", "concatenated_gzip_members.parquet"}) {
    SCOPED_TRACE(name);
    std::ifstream in(Data(name), std::ios::binary);
    std::vector<uint8_t> original((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    ASSERT_GT(original.size(), 12u);
    for (int round = 0; round < 300; ++round) {
      std::vector<uint8_t> bytes = original;
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        size_t at = rng() % bytes.size();
        bytes[at] = rng() % 3 == 0 ? static_cast<uint8_t>(rng()) : bytes[at] ^ (1u << (rng() % 8));
      }
      try {
        auto reader = ParquetFileReader::Open(std::make_unique<MemorySource>(bytes, name));
        ParquetReadOptions options;
        options.columns = FlatColumns(*reader);
        options.batch_rows = 1 + static_cast<int64_t>(rng() % 500);
        options.column_options.max_page_size = 16 << 20;
        for (auto batches = reader->ReadBatches(options); batches->Next();) {
        }
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace sluice::parquet
