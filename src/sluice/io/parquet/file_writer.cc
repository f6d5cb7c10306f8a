#include "sluice/io/parquet/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/io/fs/staged_file.h"

namespace sluice::parquet {
namespace {

constexpr uint8_t kMagic[4] = {'P', 'A', 'R', '1'};

}  // namespace

int64_t BatchDataBytes(const RecordBatch& batch) {
  int64_t bytes = 0;
  for (const Array& column : batch.columns()) {
    const DataType& type = column.type();
    if (type.layout() == Layout::kVariableBinary) {
      const int32_t* offsets = column.raw_offsets() + column.offset();
      bytes += offsets[column.length()] - offsets[0] + 4 * column.length();
    } else if (type.layout() == Layout::kBitmap) {
      bytes += (column.length() + 7) / 8;
    } else {
      bytes += column.length() * type.byte_width();
    }
  }
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
  std::string temp = fs::StagingPathFor(path);  // beside a local target; under $TMPDIR for s3://
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw IoErrorFromErrno(errno, "create", temp);
  std::unique_ptr<ParquetWriter> writer(new ParquetWriter(
      path, temp, fd, std::move(schema), std::move(columns), options, std::move(codec)));
  writer->WriteBytes(std::vector<uint8_t>(kMagic, kMagic + 4));
  return writer;
}

ParquetWriter::ParquetWriter(std::string path, std::string temp_path, int fd,
                             std::shared_ptr<const Schema> schema,
                             std::vector<WriterColumn> columns, ParquetWriteOptions options,
                             std::unique_ptr<Codec> codec)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      fd_(fd),
      schema_(std::move(schema)),
      columns_(std::move(columns)),
      options_(std::move(options)),
      codec_(std::move(codec)),
      dictionary_backoff_(columns_.size()) {}

ParquetWriter::~ParquetWriter() {
  if (!closed_) Abandon();
}

void ParquetWriter::Abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_path_.c_str());
  closed_ = true;
}

void ParquetWriter::WriteBytes(const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoErrorFromErrno(errno, "write", temp_path_);
    }
    done += static_cast<size_t>(n);
  }
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
        pieces.push_back(batch.column(static_cast<int>(c)));
      }
      bytes.clear();
      ColumnChunk chunk;
      ColumnPageIndex* page_index = options_.page_index ? &page_indexes_.emplace_back() : nullptr;
      try {
        chunk = WriteChunk(c, pieces, page_index, bytes);
      } catch (Error& error) {
        throw std::move(error.With("column", columns_[c].element.name).With("file", path_));
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
    FileMetaData metadata;
    metadata.version = 2;
    metadata.schema = MakeSchemaElements(columns_);
    metadata.num_rows = rows_written_;
    metadata.row_groups = std::move(row_groups_);
    metadata.key_value_metadata = options_.key_value_metadata;
    metadata.created_by = "sluice";
    metadata.column_orders.assign(columns_.size(), ColumnOrder::kTypeDefinedOrder);
    std::vector<uint8_t> footer;
    EncodeFileMetaData(metadata, &footer);
    uint32_t length = static_cast<uint32_t>(footer.size());
    for (int i = 0; i < 4; ++i) footer.push_back(static_cast<uint8_t>(length >> (8 * i)));
    footer.insert(footer.end(), kMagic, kMagic + 4);
    WriteBytes(footer);
    if (options_.sync && ::fsync(fd_) != 0) throw IoErrorFromErrno(errno, "fsync", temp_path_);
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw IoErrorFromErrno(errno, "close", temp_path_);
    }
    fd_ = -1;
    fs::PublishStagedFile(temp_path_, path_);  // rename, or upload for s3://
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
