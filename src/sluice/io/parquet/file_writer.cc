#include "sluice/io/parquet/file_writer.h"

#include <fmt/format.h>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice::parquet {

namespace {

// The bytes of the values `column` views (a nested column's: those of the child rows it spans).
int64_t DataBytes(const Array& column) {
  const DataType& type = column.type();
  switch (type.layout()) {
    case Layout::kVariableBinary: {
      const int32_t* offsets = column.raw_offsets() + column.offset();
      return offsets[column.length()] - offsets[0] + 4 * column.length();
    }
    case Layout::kBitmap:
      return (column.length() + 7) / 8;
    case Layout::kFixedWidth:
      return column.length() * type.byte_width();
    case Layout::kNested:
      break;
  }
  int64_t bytes = (column.length() + 7) / 8;
  for (const Array& child : column.children()) {
    if (type.id() == TypeId::kStruct) {
      bytes += DataBytes(child.Slice(column.offset(), column.length()));
    } else {
      const int64_t begin = column.ValueBegin(0);
      bytes += DataBytes(child.Slice(begin, column.ValueBegin(column.length()) - begin)) +
               4 * column.length();
    }
  }
  return bytes;
}

}  // namespace

int64_t BatchDataBytes(const RecordBatch& batch) {
  int64_t bytes = 0;
  for (const Array& column : batch.columns()) bytes += DataBytes(column);
  return bytes;
}

std::unique_ptr<ParquetWriter> ParquetWriter::Open(const std::string& path,
                                                   std::shared_ptr<const Schema> schema,
                                                   const ParquetWriteOptions& options) {
  if (options.row_group_rows <= 0 || options.row_group_bytes <= 0 ||
      options.column.page_size <= 0) {
    throw InvalidArgument("row group and page sizes must be positive").With("file", path);
  }
  std::vector<WriterColumn> columns;
  std::unique_ptr<Codec> codec;
  try {
    columns = MakeWriterColumns(*schema);
    codec = Codec::Make(options.codec, options.compression_level);
  } catch (Error& error) {
    throw std::move(error.With("file", path));
  }
  auto file = std::make_unique<StagedParquetFile>(path);
  return std::unique_ptr<ParquetWriter>(new ParquetWriter(
      path, std::move(file), std::move(schema), std::move(columns), options, std::move(codec)));
}

ParquetWriter::ParquetWriter(std::string path, std::unique_ptr<StagedParquetFile> file,
                             std::shared_ptr<const Schema> schema,
                             std::vector<WriterColumn> columns, ParquetWriteOptions options,
                             std::unique_ptr<Codec> codec)
    : path_(std::move(path)),
      file_(std::move(file)),
      schema_(std::move(schema)),
      columns_(std::move(columns)),
      options_(std::move(options)),
      codec_(std::move(codec)),
      dictionary_backoff_(columns_.size()) {}

ParquetWriter::~ParquetWriter() {
  if (!closed_) Abandon();
}

void ParquetWriter::Abandon() { file_->Abandon(); }

void ParquetWriter::WriteBytes(const std::vector<uint8_t>& bytes) {
  file_->WriteAt(offset_, bytes);
  offset_ += static_cast<int64_t>(bytes.size());
}

void ParquetWriter::Write(const RecordBatch& batch) {
  if (closed_) throw InvalidArgument("write after close").With("file", path_);
  if (!(batch.schema() == *schema_)) {
    throw InvalidArgument("the batch's schema differs from the file's:\n{}\nvs\n{}",
                          batch.schema().ToString(), schema_->ToString())
        .With("file", path_);
  }
  // Split the batch where the row-group row target falls.
  int64_t offset = 0;
  while (offset < batch.num_rows()) {
    int64_t rows = std::min(batch.num_rows() - offset, options_.row_group_rows - pending_rows_);
    RecordBatch piece = batch.Slice(offset, rows);
    pending_bytes_ += BatchDataBytes(piece);
    pending_rows_ += rows;
    pending_.push_back(std::move(piece));
    offset += rows;
    if (pending_rows_ >= options_.row_group_rows || pending_bytes_ >= options_.row_group_bytes) {
      EndRowGroup();
    }
  }
}

ColumnChunk ParquetWriter::WriteChunk(size_t c, std::span<const Array> pieces,
                                      ColumnPageIndex* page_index, std::vector<uint8_t>& bytes) {
  const ColumnWriteOptions options = dictionary_backoff_.OptionsFor(c, options_.column);
  ColumnChunk chunk =
      chunk_writer_.Write(columns_[c], pieces, options, *codec_, offset_, &bytes, page_index);
  dictionary_backoff_.Record(c, options, columns_[c], chunk);
  return chunk;
}

void ParquetWriter::EndRowGroup() {
  if (pending_rows_ == 0) return;
  RowGroup row_group;
  row_group.num_rows = pending_rows_;
  row_group.file_offset = offset_;
  int64_t compressed = 0;
  std::vector<uint8_t>& bytes = chunk_bytes_;
  std::vector<Array> pieces;
  // A failed row group is written again whole by a later flush, so its indexes go too.
  size_t indexes_before = page_indexes_.size();
  try {
    for (size_t c = 0; c < columns_.size(); ++c) {
      pieces.clear();
      for (const RecordBatch& batch : pending_) {
        pieces.push_back(batch.column(columns_[c].field_index));
      }
      bytes.clear();
      ColumnChunk chunk;
      ColumnPageIndex* page_index = options_.page_index ? &page_indexes_.emplace_back() : nullptr;
      try {
        chunk = WriteChunk(c, pieces, page_index, bytes);
      } catch (Error& error) {
        throw std::move(error.With("column", fmt::format("{}", fmt::join(columns_[c].path, ".")))
                            .With("file", path_));
      }
      WriteBytes(bytes);
      row_group.total_byte_size += chunk.meta_data->total_uncompressed_size;
      compressed += chunk.meta_data->total_compressed_size;
      row_group.columns.push_back(std::move(chunk));
    }
  } catch (...) {
    page_indexes_.resize(indexes_before);
    throw;
  }
  row_group.total_compressed_size = compressed;
  row_group.ordinal = static_cast<int16_t>(row_groups_.size());
  row_groups_.push_back(std::move(row_group));
  rows_written_ += pending_rows_;
  pending_.clear();
  pending_rows_ = 0;
  pending_bytes_ = 0;
}

void ParquetWriter::WritePageIndexes() {
  // Column indexes of every chunk first, then offset indexes, as PageIndex.md lays them out.
  std::vector<uint8_t> bytes;
  size_t next = 0;
  for (RowGroup& row_group : row_groups_) {
    for (ColumnChunk& chunk : row_group.columns) {
      const ColumnPageIndex& index = page_indexes_[next++];
      if (!index.column_index) continue;
      size_t start = bytes.size();
      EncodeColumnIndex(*index.column_index, &bytes);
      chunk.column_index_offset = offset_ + static_cast<int64_t>(start);
      chunk.column_index_length = static_cast<int32_t>(bytes.size() - start);
    }
  }
  next = 0;
  for (RowGroup& row_group : row_groups_) {
    for (ColumnChunk& chunk : row_group.columns) {
      const ColumnPageIndex& index = page_indexes_[next++];
      size_t start = bytes.size();
      EncodeOffsetIndex(*index.offset_index, &bytes);
      chunk.offset_index_offset = offset_ + static_cast<int64_t>(start);
      chunk.offset_index_length = static_cast<int32_t>(bytes.size() - start);
    }
  }
  SLUICE_CHECK_EQ(next, page_indexes_.size());
  WriteBytes(bytes);
  page_indexes_.clear();
}

void ParquetWriter::Close() {
  if (closed_) throw InvalidArgument("close after close").With("file", path_);
  try {
    EndRowGroup();
    if (options_.page_index) WritePageIndexes();
    file_->Finish(MakeFileMetaData(columns_, rows_written_, std::move(row_groups_),
                                   options_.key_value_metadata),
                  offset_, options_.sync);
    closed_ = true;
  } catch (...) {
    Abandon();
    throw;
  }
}

void WriteParquetFile(const std::string& path, std::shared_ptr<const Schema> schema,
                      const std::vector<RecordBatch>& batches, const ParquetWriteOptions& options) {
  std::unique_ptr<ParquetWriter> writer = ParquetWriter::Open(path, std::move(schema), options);
  for (const RecordBatch& batch : batches) writer->Write(batch);
  writer->Close();
}

}  // namespace sluice::parquet
