// ParquetWriter: writes record batches of one schema to a Parquet file. Batches are buffered
// until the row group reaches `row_group_rows` rows or about `row_group_bytes` bytes of column
// data (measured in memory, before encoding), then encoded column by column
// (column_chunk_writer.h) and appended to the file.
//
// The file is written under a temporary name beside the target (".<name>.tmp-<pid>-<n>") and
// renamed onto the target by Close after an fsync, so a failed or abandoned write (an exception,
// a destructor without Close) leaves no partial file at the target; the temporary file is
// removed.
//
// With `page_index`, every column chunk gets a page index (PageIndex.md): Close writes all
// ColumnIndexes, then all OffsetIndexes, after the last row group and before the footer, and
// points each ColumnChunk at its two.
//
// Ownership: the writer owns its file descriptor and buffered batches (which share the callers'
// buffers). Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/column_chunk_writer.h"
#include "sluice/io/parquet/dictionary_backoff.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/staged_parquet_file.h"
#include "sluice/io/parquet/writer_schema.h"
#include "sluice/table/record_batch.h"

namespace sluice::parquet {

struct ParquetWriteOptions {
  CompressionCodec codec = CompressionCodec::kSnappy;
  std::optional<int> compression_level;  // the codec's own scale (ZSTD -7..22, GZIP 1..9, ...)
  int64_t row_group_rows = 1 << 20;
  int64_t row_group_bytes = 128 << 20;
  ColumnWriteOptions column;
  std::vector<KeyValue> key_value_metadata;
  // fsync before the rename; off for scratch files (spill runs) that never outlive the job.
  bool sync = true;
  // Write a ColumnIndex and an OffsetIndex per column chunk (column_chunk_writer.h).
  bool page_index = false;
};

// Bytes of column data a batch holds, as the row-group size target (row_group_bytes) counts
// them: values, string bytes and their offsets.
int64_t BatchDataBytes(const RecordBatch& batch);

class ParquetWriter {
 public:
  // Creates the temporary file. InvalidArgument for bad options, NotSupported for a schema
  // Parquet cannot hold flat, IoError when the file cannot be created.
  static std::unique_ptr<ParquetWriter> Open(const std::string& path,
                                             std::shared_ptr<const Schema> schema,
                                             const ParquetWriteOptions& options = {});
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // InvalidArgument when the batch's schema differs from the writer's.
  void Write(const RecordBatch& batch);
  // Closes the row group of the rows written since the last one (none: nothing), so a caller
  // can make one row group of several batches without concatenating them.
  void EndRowGroup();
  // Writes what is buffered and the footer, then renames the file onto the target.
  void Close();

  int64_t rows_written() const { return rows_written_; }

 private:
  ParquetWriter(std::string path, std::unique_ptr<StagedParquetFile> file,
                std::shared_ptr<const Schema> schema, std::vector<WriterColumn> columns,
                ParquetWriteOptions options, std::unique_ptr<Codec> codec);
  // Column c's chunk of the pending rows, trying a dictionary unless the column is skipping.
  ColumnChunk WriteChunk(size_t c, std::span<const Array> pieces, ColumnPageIndex* page_index,
                         std::vector<uint8_t>& bytes);
  // Writes the page indexes and points the row groups' chunks at them.
  void WritePageIndexes();
  void WriteBytes(const std::vector<uint8_t>& bytes);
  void Abandon();

  std::string path_;
  std::unique_ptr<StagedParquetFile> file_;
  std::shared_ptr<const Schema> schema_;
  std::vector<WriterColumn> columns_;
  ParquetWriteOptions options_;
  std::unique_ptr<Codec> codec_;
  // Reused chunk after chunk, like the chunk writer's buffers.
  ColumnChunkWriter chunk_writer_;
  DictionaryBackoff dictionary_backoff_;
  std::vector<uint8_t> chunk_bytes_;
  int64_t offset_ = StagedParquetFile::kHeaderBytes;
  std::vector<RecordBatch> pending_;
  int64_t pending_rows_ = 0;
  int64_t pending_bytes_ = 0;
  std::vector<RowGroup> row_groups_;
  // One per column chunk of row_groups_, in order, when options_.page_index.
  std::vector<ColumnPageIndex> page_indexes_;
  int64_t rows_written_ = 0;
  bool closed_ = false;
};

// Writes `batches` (all of `schema`) to `path` in one go.
void WriteParquetFile(const std::string& path, std::shared_ptr<const Schema> schema,
                      const std::vector<RecordBatch>& batches,
                      const ParquetWriteOptions& options = {});

}  // namespace sluice::parquet
