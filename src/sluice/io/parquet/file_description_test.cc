#include "sluice/io/parquet/file_description.h"

#include <gtest/gtest.h>

#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice::parquet {
namespace {

TEST(FileDescriptionTest, DescribesSchemaChunksAndStatisticsAsValues) {
  ScratchDir dir("sluice-file-description");
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"id", DataType::Int32(), false}, {"name", DataType::String(), true}});
  Int32Builder id;
  StringBuilder name(DataType::String());
  for (int i = 0; i < 10; ++i) {
    id.Append(i * 3 - 4);
    if (i == 2) {
      name.AppendNull();
    } else {
      name.Append("n" + std::to_string(i));
    }
  }
  const std::string path = dir.Path("t.parquet");
  ParquetWriteOptions options;
  options.row_group_rows = 6;
  WriteParquetFile(path, schema, {RecordBatch::Make(schema, {id.Finish(), name.Finish()})},
                   options);

  auto reader = ParquetFileReader::Open(path);
  const nlohmann::ordered_json d = DescribeParquetFile(*reader);
  EXPECT_EQ(d["file"], path);
  EXPECT_EQ(d["num_rows"], 10);
  EXPECT_EQ(d["num_row_groups"], 2);
  ASSERT_EQ(d["columns"].size(), 2u);
  EXPECT_EQ(d["columns"][0]["path"], "id");
  EXPECT_EQ(d["columns"][0]["physical_type"], "INT32");
  EXPECT_EQ(d["columns"][0]["repetition"], "REQUIRED");
  EXPECT_EQ(d["columns"][0]["type"], "int32");
  EXPECT_EQ(d["columns"][1]["repetition"], "OPTIONAL");
  EXPECT_EQ(d["columns"][1]["type"], "string");

  const auto& first = d["row_groups"][0];
  EXPECT_EQ(first["num_rows"], 6);
  const auto& id_chunk = first["columns"][0];
  EXPECT_EQ(id_chunk["codec"], "SNAPPY");
  EXPECT_EQ(id_chunk["num_values"], 6);
  // Statistics print as values of the column's type, not as their PLAIN bytes.
  EXPECT_EQ(id_chunk["statistics"]["min"], "-4");
  EXPECT_EQ(id_chunk["statistics"]["max"], "11");
  const auto& name_chunk = first["columns"][1];
  EXPECT_EQ(name_chunk["statistics"]["min"], "n0");
  EXPECT_EQ(name_chunk["statistics"]["max"], "n5");
  EXPECT_EQ(name_chunk["statistics"]["null_count"], 1);
  EXPECT_EQ(d["row_groups"][1]["num_rows"], 4);
}

}  // namespace
}  // namespace sluice::parquet
