#include "sluice/io/parquet/footer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/parquet_testing_internal.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> ParquetFilesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".parquet") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ParquetTestingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ParquetTestingDir();
    SLUICE_REQUIRE_TEST_DATA(fs::exists(dir_ / "data"), "parquet-testing not found at " << dir_);
  }
  fs::path dir_;
};

// Every file in data/ has a footer we decode and validate; none is refused at this level (nested
// and other unsupported features are the column reader's business).
TEST_F(ParquetTestingTest, EveryDataFileFooterDecodes) {
  std::vector<fs::path> files = ParquetFilesIn(dir_ / "data");
  ASSERT_GT(files.size(), 50u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    ParquetFooter footer;
    ASSERT_NO_THROW(footer = ReadFooter(file.string())) << file;
    EXPECT_EQ(footer.reads, footer.metadata_length + 8 <= 64 * 1024 ? 1 : 2);
    EXPECT_GT(footer.schema.num_columns(), 0);
    int64_t rows = 0;
    for (const RowGroup& rg : footer.metadata.row_groups) rows += rg.num_rows;
    // This writer left the file-level count at 0; row groups are the truth.
    if (file.filename() != "repeated_no_annotation.parquet") {
      EXPECT_EQ(rows, footer.metadata.num_rows);
    }
  }
}

struct KnownFacts {
  int64_t num_rows;
  size_t num_row_groups;
  std::vector<std::string> leading_columns;
};

TEST_F(ParquetTestingTest, KnownFacts) {
  const std::map<std::string, KnownFacts> facts = {
      {"alltypes_plain.parquet", {8, 1, {"id", "bool_col", "tinyint_col", "smallint_col"}}},
      {"alltypes_dictionary.parquet", {2, 1, {"id", "bool_col"}}},
      {"delta_binary_packed.parquet", {200, 1, {"bitwidth0", "bitwidth1", "bitwidth2"}}},
      {"int96_from_spark.parquet", {6, 1, {"a"}}},
      {"nested_lists.snappy.parquet", {3, 1, {"a.list.element.list.element.list.element", "b"}}},
      {"concatenated_gzip_members.parquet", {513, 1, {"long_col"}}},
      {"nulls.snappy.parquet", {8, 1, {"b_struct.b_c_int"}}},
      {"sort_columns.parquet", {6, 2, {"a", "b"}}},
  };
  for (const auto& [name, expected] : facts) {
    SCOPED_TRACE(name);
    ParquetFooter footer = ReadFooter((dir_ / "data" / name).string());
    EXPECT_EQ(footer.metadata.num_rows, expected.num_rows);
    EXPECT_EQ(footer.metadata.row_groups.size(), expected.num_row_groups);
    ASSERT_GE(footer.schema.columns().size(), expected.leading_columns.size());
    for (size_t i = 0; i < expected.leading_columns.size(); ++i) {
      EXPECT_EQ(footer.schema.columns()[i].DottedPath(), expected.leading_columns[i]);
    }
  }
}

TEST_F(ParquetTestingTest, AllTypesPlainDetails) {
  ParquetFooter footer = ReadFooter((dir_ / "data" / "alltypes_plain.parquet").string());
  const ParquetSchema& schema = footer.schema;
  ASSERT_EQ(schema.num_columns(), 11);
  EXPECT_EQ(schema.columns()[0].physical_type, PhysicalType::kInt32);
  EXPECT_EQ(schema.columns()[1].physical_type, PhysicalType::kBoolean);
  EXPECT_EQ(schema.columns()[10].DottedPath(), "timestamp_col");
  EXPECT_EQ(schema.columns()[10].physical_type, PhysicalType::kInt96);
  EXPECT_EQ(schema.columns()[0].max_definition_level, 1);
  EXPECT_FALSE(schema.columns()[0].nested);
  const ColumnMetaData& id = *footer.metadata.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(id.codec, CompressionCodec::kUncompressed);
  EXPECT_EQ(id.num_values, 8);
  EXPECT_EQ(id.path_in_schema, std::vector<std::string>{"id"});
}

TEST_F(ParquetTestingTest, NestedColumnsAreDescribed) {
  ParquetFooter footer = ReadFooter((dir_ / "data" / "nested_lists.snappy.parquet").string());
  const ColumnDescriptor& a = footer.schema.columns()[0];
  EXPECT_TRUE(a.nested);
  EXPECT_EQ(a.max_repetition_level, 3);
  EXPECT_FALSE(footer.schema.columns()[1].nested);
}

TEST_F(ParquetTestingTest, MetadataDetails) {
  ParquetFooter kv =
      ReadFooter((dir_ / "data" / "column_chunk_key_value_metadata.parquet").string());
  const ColumnMetaData& meta = *kv.metadata.row_groups[0].columns[0].meta_data;
  ASSERT_EQ(meta.key_value_metadata.size(), 2u);
  EXPECT_EQ(meta.key_value_metadata[0].key, "foo");
  EXPECT_EQ(meta.key_value_metadata[0].value, "bar");
  EXPECT_EQ(meta.key_value_metadata[1].key, "thisiskeywithoutvalue");
  EXPECT_FALSE(meta.key_value_metadata[1].value.has_value());

  ParquetFooter sorted = ReadFooter((dir_ / "data" / "sort_columns.parquet").string());
  const auto& sorting = sorted.metadata.row_groups[0].sorting_columns;
  ASSERT_EQ(sorting.size(), 2u);
  EXPECT_EQ(sorting[0], (SortingColumn{0, true, true}));
  EXPECT_EQ(sorting[1], (SortingColumn{1, false, false}));

  ParquetFooter unknown = ReadFooter((dir_ / "data" / "unknown-logical-type.parquet").string());
  bool found_unrecognized = false;
  for (const ColumnDescriptor& column : unknown.schema.columns()) {
    if (column.element.logical_type &&
        column.element.logical_type->kind == LogicalType::Kind::kUnrecognized) {
      found_unrecognized = true;
    }
  }
  EXPECT_TRUE(found_unrecognized);

  ParquetFooter index =
      ReadFooter((dir_ / "data" / "data_index_bloom_encoding_stats.parquet").string());
  const ColumnChunk& chunk = index.metadata.row_groups[0].columns[0];
  EXPECT_TRUE(chunk.offset_index_offset.has_value());
  EXPECT_TRUE(chunk.column_index_offset.has_value());
  EXPECT_TRUE(chunk.meta_data->bloom_filter_offset.has_value());
  EXPECT_FALSE(chunk.meta_data->encoding_stats.empty());
}

TEST_F(ParquetTestingTest, LargeFooterTakesTwoReads) {
  FooterOptions options;
  options.tail_read_size = 16;
  ParquetFooter footer = ReadFooter((dir_ / "data" / "alltypes_plain.parquet").string(), options);
  EXPECT_EQ(footer.reads, 2);
  EXPECT_EQ(footer.metadata.num_rows, 8);
}

// What every bad_data file does at the footer level. Those the footer cannot see as bad need
// page-level decoding (page_decode_test.cc shows the decoders refuse them; ARROW-GH-43605 is
// valid).
TEST_F(ParquetTestingTest, BadDataFiles) {
  const std::set<std::string> needs_page_decoding = {
      "ARROW-GH-41321.parquet", "ARROW-GH-43605.parquet", "ARROW-GH-45185.parquet",
      "ARROW-GH-47662.parquet", "ARROW-RS-GH-6229-LEVELS.parquet"};
  for (const fs::path& file : ParquetFilesIn(dir_ / "bad_data")) {
    std::string name = file.filename().string();
    SCOPED_TRACE(name);
    if (needs_page_decoding.count(name)) {
      EXPECT_NO_THROW(ReadFooter(file.string()));
      continue;
    }
    try {
      ReadFooter(file.string());
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& error) {
      EXPECT_TRUE(error.kind() == ErrorKind::kInvalidData ||
                  error.kind() == ErrorKind::kNotSupported)
          << error.what();
      EXPECT_EQ(error.ContextValue("file"), file.string());
      EXPECT_EQ(error.ContextValue("stage"), "footer");
    }
  }
}

}  // namespace
}  // namespace sluice::parquet
