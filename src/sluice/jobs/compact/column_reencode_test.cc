// Tests for column_reencode.h: a REQUIRED int32 column of one file and a file that lacks the
// column become one OPTIONAL int64 chunk, read back widened with the missing rows null.
#include "sluice/jobs/compact/column_reencode.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/io/parquet/row_group_file_writer.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

TEST(ColumnReencodeTest, RequiredNarrowAndMissingInputsBecomeOneOptionalWideChunk) {
  ScratchDir scratch("sluice-reencode");
  // The input: x, a REQUIRED int32 column of 5 rows (-2..2).
  const std::string in_path = scratch.Path("in.parquet");
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"x", DataType::Int32(), false}});
  Int32Builder values;
  for (int32_t v = -2; v <= 2; ++v) values.Append(v);
  parquet::WriteParquetFile(in_path, schema, {RecordBatch::Make(schema, {values.Finish()})}, {});
  InputFile file{in_path, static_cast<int64_t>(std::filesystem::file_size(in_path)),
                 std::make_shared<const parquet::ParquetFooter>(parquet::ReadFooter(in_path))};
  auto source = parquet::LocalFileSource::Open(in_path);

  // The output column: x, OPTIONAL INT64.
  parquet::SchemaElement root, leaf;
  root.name = "schema";
  root.num_children = 1;
  leaf.name = "x";
  leaf.type = parquet::PhysicalType::kInt64;
  leaf.repetition_type = parquet::Repetition::kOptional;
  const std::vector<parquet::SchemaElement> elements{root, leaf};
  const parquet::ParquetSchema out_schema = parquet::ParquetSchema::Build(elements);

  const std::vector<ReencodeInput> inputs{{&file, source.get(), 0, 0, 5},
                                          {&file, nullptr, 0, -1, 3}};
  auto codec = parquet::Codec::Make(parquet::CompressionCodec::kSnappy);
  std::vector<uint8_t> bytes;
  parquet::ColumnChunk chunk =
      ReencodeColumnChunk(out_schema.columns()[0], inputs, *codec, 1 << 20, &bytes);
  EXPECT_EQ(chunk.meta_data->num_values, 8);
  EXPECT_EQ(chunk.meta_data->type, parquet::PhysicalType::kInt64);

  const std::string out_path = scratch.Path("out.parquet");
  auto writer = parquet::RowGroupFileWriter::Open(out_path, elements, 1);
  parquet::RowGroup rg;
  rg.num_rows = 8;
  rg.columns.push_back(std::move(chunk));
  writer->WriteRowGroup(0, bytes, rg);
  writer->Close();
  std::vector<RecordBatch> read = parquet::ParquetFileReader::Open(out_path)->ReadAll();
  ASSERT_EQ(read.size(), 1u);
  const Array& x = read[0].column(0);
  ASSERT_EQ(x.type(), DataType::Int64());
  ASSERT_EQ(x.length(), 8);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(x.Value<int64_t>(i), i - 2);
  for (int64_t i = 5; i < 8; ++i) EXPECT_TRUE(x.IsNull(i));
}

}  // namespace
}  // namespace sluice::compact
