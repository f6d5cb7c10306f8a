// Tests for null_column_chunk.h: chunks of nulls, written with no values, read back by our reader
// as nulls of the column's type across page boundaries, compressed or not; a column that cannot
// hold a null is refused.
#include "sluice/io/parquet/null_column_chunk.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/row_group_file_writer.h"

namespace sluice::parquet {
namespace {

std::vector<SchemaElement> OneColumn(PhysicalType type, Repetition repetition) {
  SchemaElement root;
  root.name = "schema";
  root.num_children = 1;
  SchemaElement leaf;
  leaf.name = "x";
  leaf.type = type;
  leaf.repetition_type = repetition;
  return {root, leaf};
}

TEST(NullColumnChunkTest, ReadsBackAsNullsAcrossPages) {
  ScratchDir scratch("sluice-null-chunk");
  for (CompressionCodec codec : {CompressionCodec::kUncompressed, CompressionCodec::kSnappy}) {
    const std::vector<SchemaElement> schema =
        OneColumn(PhysicalType::kInt64, Repetition::kOptional);
    const ParquetSchema columns = ParquetSchema::Build(schema);
    const int64_t rows = (int64_t{1} << 20) + 5;  // two pages
    auto compressor = Codec::Make(codec);
    NullColumnChunk chunk = MakeNullColumnChunk(columns.columns()[0], rows, codec, *compressor);
    EXPECT_EQ(chunk.meta.num_values, rows);
    EXPECT_EQ(chunk.meta.statistics->null_count, rows);
    EXPECT_LT(chunk.bytes.size(), 200u);  // levels only

    const std::string path = scratch.Path("nulls.parquet");
    auto writer = RowGroupFileWriter::Open(path, schema, 1);
    RowGroup rg;
    rg.num_rows = rows;
    rg.columns.push_back({std::nullopt, 0, chunk.meta});
    writer->WriteRowGroup(0, chunk.bytes, rg);
    writer->Close();

    auto reader = ParquetFileReader::Open(path);
    int64_t read = 0;
    for (const RecordBatch& batch : reader->ReadAll()) {
      EXPECT_EQ(batch.column(0).type(), DataType::Int64());
      EXPECT_EQ(batch.column(0).null_count(), batch.num_rows());
      read += batch.num_rows();
    }
    EXPECT_EQ(read, rows);
  }
}

TEST(NullColumnChunkTest, ARequiredColumnIsRefused) {
  const ParquetSchema columns =
      ParquetSchema::Build(OneColumn(PhysicalType::kInt32, Repetition::kRequired));
  auto codec = Codec::Make(CompressionCodec::kUncompressed);
  EXPECT_THROW(
      MakeNullColumnChunk(columns.columns()[0], 10, CompressionCodec::kUncompressed, *codec),
      Error);
}

}  // namespace
}  // namespace sluice::parquet
