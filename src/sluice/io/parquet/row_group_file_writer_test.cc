// RowGroupFileWriter: row groups written whole or streamed column chunk by column chunk, in any
// slot order, read back as the rows they were cut from; streaming keeps a row group's chunks
// back to back and refuses interleaved writes.
#include "sluice/io/parquet/row_group_file_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class RowGroupFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_rgwriter_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Three row groups of 100 rows to cut chunks from.
    ParquetWriteOptions options;
    options.row_group_rows = 100;
    source_ = (dir_ / "source.parquet").string();
    WriteParquetFile(source_, batch_.shared_schema(), {batch_}, options);
    footer_ = ReadFooter(source_);
    ASSERT_EQ(footer_.metadata.row_groups.size(), 3u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Column chunk `c` of source row group `g`: its bytes and its metadata as if at offset 0.
  std::pair<std::vector<uint8_t>, ColumnChunk> Chunk(int g, int c) {
    ColumnChunk chunk =
        footer_.metadata.row_groups[static_cast<size_t>(g)].columns[static_cast<size_t>(c)];
    ColumnChunkRange range = ComputeColumnChunkRange(*chunk.meta_data);
    std::vector<uint8_t> bytes(static_cast<size_t>(range.length));
    LocalFileSource::Open(source_)->ReadAt(range.start, bytes);
    ShiftColumnChunkOffsets(&chunk, -range.start);
    return {std::move(bytes), std::move(chunk)};
  }

  void Stream(RowGroupFileWriter& writer, int slot, int g) {
    writer.StartRowGroup(slot);
    for (size_t c = 0; c < footer_.metadata.row_groups[static_cast<size_t>(g)].columns.size();
         ++c) {
      auto [bytes, chunk] = Chunk(g, static_cast<int>(c));
      writer.AppendColumnChunk(bytes, std::move(chunk));
    }
    writer.FinishRowGroup(footer_.metadata.row_groups[static_cast<size_t>(g)].num_rows);
  }

  // Source row group `g` whole, encoded as if at offset 0.
  std::pair<std::vector<uint8_t>, RowGroup> Whole(int g) {
    RowGroup rg;
    rg.num_rows = footer_.metadata.row_groups[static_cast<size_t>(g)].num_rows;
    rg.file_offset = 0;
    std::vector<uint8_t> bytes;
    for (size_t c = 0; c < footer_.metadata.row_groups[static_cast<size_t>(g)].columns.size();
         ++c) {
      auto [b, chunk] = Chunk(g, static_cast<int>(c));
      ShiftColumnChunkOffsets(&chunk, static_cast<int64_t>(bytes.size()));
      bytes.insert(bytes.end(), b.begin(), b.end());
      rg.total_byte_size += chunk.meta_data->total_uncompressed_size;
      rg.columns.push_back(std::move(chunk));
    }
    rg.total_compressed_size = static_cast<int64_t>(bytes.size());
    return {std::move(bytes), std::move(rg)};
  }

  fs::path dir_;
  RecordBatch batch_ = MakeSampleBatch(300);
  std::string source_;
  ParquetFooter footer_;
};

TEST_F(RowGroupFileWriterTest, StreamedAndWholeRowGroupsReadBackInSlotOrder) {
  const std::string path = (dir_ / "out.parquet").string();
  auto writer = RowGroupFileWriter::Open(path, footer_.metadata.schema, 3);
  Stream(*writer, 2, 2);
  auto [bytes, rg] = Whole(0);
  writer->WriteRowGroup(0, bytes, std::move(rg));
  Stream(*writer, 1, 1);
  writer->Close();

  auto reader = ParquetFileReader::Open(path);
  ASSERT_EQ(reader->num_row_groups(), 3);
  RecordBatch got = Concat(reader->ReadAll());
  EXPECT_TRUE(got == batch_);

  // A streamed row group's chunks lie back to back from its file offset, in column order, and its
  // sizes are its chunks' sums.
  const ParquetFooter written = ReadFooter(path);
  for (int slot : {1, 2}) {
    const RowGroup& out = written.metadata.row_groups[static_cast<size_t>(slot)];
    const RowGroup& in = footer_.metadata.row_groups[static_cast<size_t>(slot)];
    ASSERT_TRUE(out.file_offset.has_value());
    int64_t at = *out.file_offset;
    int64_t compressed = 0;
    for (size_t c = 0; c < out.columns.size(); ++c) {
      ColumnChunkRange range = ComputeColumnChunkRange(*out.columns[c].meta_data);
      EXPECT_EQ(range.start, at) << "slot " << slot << " column " << c;
      at += range.length;
      compressed += out.columns[c].meta_data->total_compressed_size;
    }
    EXPECT_EQ(out.num_rows, in.num_rows);
    EXPECT_EQ(out.total_compressed_size, compressed);
    EXPECT_EQ(out.total_byte_size, in.total_byte_size);
    EXPECT_EQ(out.ordinal, slot);
  }
}

TEST_F(RowGroupFileWriterTest, NothingElseIsWrittenWhileARowGroupStreams) {
  const std::string path = (dir_ / "out.parquet").string();
  auto writer = RowGroupFileWriter::Open(path, footer_.metadata.schema, 2);
  EXPECT_THROW(writer->AppendColumnChunk({}, ColumnChunk()), Error);
  writer->StartRowGroup(0);
  EXPECT_THROW(writer->StartRowGroup(1), Error);
  auto [bytes, rg] = Whole(1);
  EXPECT_THROW(writer->WriteRowGroup(1, bytes, rg), Error);
  EXPECT_THROW(writer->Close(), Error);
  auto [chunk_bytes, chunk] = Chunk(0, 0);
  writer->AppendColumnChunk(chunk_bytes, std::move(chunk));
  writer->FinishRowGroup(100);
  EXPECT_THROW(writer->StartRowGroup(0), Error);  // written already
  writer->WriteRowGroup(1, bytes, std::move(rg));
}

TEST_F(RowGroupFileWriterTest, AnAbandonedStreamLeavesNoFile) {
  const std::string path = (dir_ / "out.parquet").string();
  {
    auto writer = RowGroupFileWriter::Open(path, footer_.metadata.schema, 1);
    writer->StartRowGroup(0);
    auto [bytes, chunk] = Chunk(0, 0);
    writer->AppendColumnChunk(bytes, std::move(chunk));
  }
  EXPECT_FALSE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename(), "source.parquet");
  }
}

}  // namespace
}  // namespace sluice::parquet
