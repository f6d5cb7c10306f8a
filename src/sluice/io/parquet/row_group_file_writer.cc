#include "sluice/io/parquet/row_group_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "sluice/base/error.h"
#include "sluice/io/fs/staged_file.h"

namespace sluice::parquet {
namespace {

constexpr uint8_t kMagic[4] = {'P', 'A', 'R', '1'};

}  // namespace

void ShiftColumnChunkOffsets(ColumnChunk* chunk, int64_t delta) {
  chunk->file_offset += delta;
  if (!chunk->meta_data) return;
  ColumnMetaData& meta = *chunk->meta_data;
  meta.data_page_offset += delta;
  if (meta.dictionary_page_offset) *meta.dictionary_page_offset += delta;
  if (meta.index_page_offset) *meta.index_page_offset += delta;
}

void ShiftRowGroupOffsets(RowGroup* row_group, int64_t delta) {
  for (ColumnChunk& chunk : row_group->columns) ShiftColumnChunkOffsets(&chunk, delta);
  if (row_group->file_offset) *row_group->file_offset += delta;
}

std::unique_ptr<RowGroupFileWriter> RowGroupFileWriter::Open(
    std::string path, std::vector<SchemaElement> schema, int num_row_groups,
    std::vector<KeyValue> key_value_metadata) {
  if (num_row_groups < 0) throw InvalidArgument("a negative row group count").With("file", path);
  std::string temp = fs::StagingPathFor(path);  // beside a local target; under $TMPDIR for s3://
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw IoErrorFromErrno(errno, "create", temp);
  std::unique_ptr<RowGroupFileWriter> writer(
      new RowGroupFileWriter(std::move(path), std::move(temp), fd, std::move(schema),
                             num_row_groups, std::move(key_value_metadata)));
  writer->WriteAt(0, kMagic);
  return writer;
}

RowGroupFileWriter::RowGroupFileWriter(std::string path, std::string temp_path, int fd,
                                       std::vector<SchemaElement> schema, int num_row_groups,
                                       std::vector<KeyValue> key_value_metadata)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      fd_(fd),
      schema_(std::move(schema)),
      key_value_metadata_(std::move(key_value_metadata)),
      row_groups_(static_cast<size_t>(num_row_groups)),
      written_(static_cast<size_t>(num_row_groups), false) {}

RowGroupFileWriter::~RowGroupFileWriter() {
  if (!closed_) Abandon();
}

void RowGroupFileWriter::Abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::remove(temp_path_.c_str());
}

void RowGroupFileWriter::WriteAt(int64_t offset, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoErrorFromErrno(errno, "write", temp_path_);
    }
    done += static_cast<size_t>(n);
  }
}

void RowGroupFileWriter::WriteRowGroup(int slot, std::span<const uint8_t> bytes,
                                       RowGroup row_group) {
  int64_t offset = 0;
  {
    std::lock_guard lock(mu_);
    CheckSlotLocked(slot);
    written_[slot] = true;
    offset = end_;
    end_ += static_cast<int64_t>(bytes.size());
  }
  // Each writer owns its byte range, so the write itself runs outside the lock.
  WriteAt(offset, bytes);
  ShiftRowGroupOffsets(&row_group, offset);
  row_group.ordinal = static_cast<int16_t>(std::min(slot, 32767));
  std::lock_guard lock(mu_);
  row_groups_[slot] = std::move(row_group);
}

void RowGroupFileWriter::CheckSlotLocked(int slot) const {
  if (closed_) throw InvalidArgument("a row group written after close").With("file", path_);
  if (streaming_ >= 0) {
    throw InvalidArgument("row group {} is being streamed", streaming_).With("file", path_);
  }
  if (slot < 0 || static_cast<size_t>(slot) >= written_.size() || written_[slot]) {
    throw InvalidArgument("row group slot {} is out of range or already written", slot)
        .With("file", path_);
  }
}

void RowGroupFileWriter::StartRowGroup(int slot) {
  std::lock_guard lock(mu_);
  CheckSlotLocked(slot);
  written_[slot] = true;
  streaming_ = slot;
  streamed_ = RowGroup();
  stream_start_ = end_;
  chunk_start_ = end_;
}

void RowGroupFileWriter::AppendChunkBytes(std::span<const uint8_t> bytes) {
  int64_t offset = 0;
  {
    std::lock_guard lock(mu_);
    if (streaming_ < 0) throw InvalidArgument("no row group is being streamed").With("file", path_);
    offset = end_;
    end_ += static_cast<int64_t>(bytes.size());
  }
  // Nobody else writes while a row group is streamed, so the write runs outside the lock.
  WriteAt(offset, bytes);
}

void RowGroupFileWriter::EndColumnChunk(ColumnChunk chunk) {
  std::lock_guard lock(mu_);
  if (streaming_ < 0) throw InvalidArgument("no row group is being streamed").With("file", path_);
  ShiftColumnChunkOffsets(&chunk, chunk_start_);
  streamed_.columns.push_back(std::move(chunk));
  chunk_start_ = end_;
}

void RowGroupFileWriter::AppendColumnChunk(std::span<const uint8_t> bytes, ColumnChunk chunk) {
  AppendChunkBytes(bytes);
  EndColumnChunk(std::move(chunk));
}

void RowGroupFileWriter::FinishRowGroup(int64_t num_rows) {
  std::lock_guard lock(mu_);
  if (streaming_ < 0) throw InvalidArgument("no row group is being streamed").With("file", path_);
  RowGroup& rg = streamed_;
  rg.num_rows = num_rows;
  int64_t compressed = 0;
  for (const ColumnChunk& chunk : rg.columns) {
    if (!chunk.meta_data) continue;
    rg.total_byte_size += chunk.meta_data->total_uncompressed_size;
    compressed += chunk.meta_data->total_compressed_size;
  }
  rg.total_compressed_size = compressed;
  rg.file_offset = stream_start_;
  rg.ordinal = static_cast<int16_t>(std::min(streaming_, 32767));
  row_groups_[static_cast<size_t>(streaming_)] = std::move(rg);
  streamed_ = RowGroup();
  streaming_ = -1;
}

int64_t RowGroupFileWriter::Close() {
  std::lock_guard lock(mu_);
  if (closed_) throw InvalidArgument("close after close").With("file", path_);
  if (streaming_ >= 0) {
    throw InvalidArgument("row group {} is still being streamed", streaming_).With("file", path_);
  }
  try {
    for (size_t i = 0; i < written_.size(); ++i) {
      if (!written_[i])
        throw InvalidArgument("row group {} was never written", i).With("file", path_);
    }
    FileMetaData metadata;
    metadata.version = 1;
    metadata.schema = schema_;
    for (const RowGroup& rg : row_groups_) metadata.num_rows += rg.num_rows;
    metadata.row_groups = row_groups_;
    metadata.key_value_metadata = key_value_metadata_;
    metadata.created_by = "sluice compact";
    size_t leaves = 0;
    for (const SchemaElement& e : schema_) leaves += e.type.has_value();
    metadata.column_orders.assign(leaves, ColumnOrder::kTypeDefinedOrder);
    std::vector<uint8_t> footer;
    EncodeFileMetaData(metadata, &footer);
    auto length = static_cast<uint32_t>(footer.size());
    for (int i = 0; i < 4; ++i) footer.push_back(static_cast<uint8_t>(length >> (8 * i)));
    footer.insert(footer.end(), kMagic, kMagic + 4);
    WriteAt(end_, footer);
    end_ += static_cast<int64_t>(footer.size());
    if (::fsync(fd_) != 0) throw IoErrorFromErrno(errno, "fsync", temp_path_);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw IoErrorFromErrno(errno, "close", temp_path_);
    fs::PublishStagedFile(temp_path_, path_);  // rename, or upload for s3://
    closed_ = true;
    return end_;
  } catch (...) {
    Abandon();
    closed_ = true;
    throw;
  }
}

}  // namespace sluice::parquet
