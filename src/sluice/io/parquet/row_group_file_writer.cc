#include "sluice/io/parquet/row_group_file_writer.h"

#include <tuple>

#include "sluice/base/error.h"

namespace sluice::parquet {

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
  auto file = std::make_unique<StagedParquetFile>(path);
  return std::unique_ptr<RowGroupFileWriter>(
      new RowGroupFileWriter(std::move(path), std::move(file), std::move(schema), num_row_groups,
                             std::move(key_value_metadata)));
}

RowGroupFileWriter::RowGroupFileWriter(std::string path, std::unique_ptr<StagedParquetFile> file,
                                       std::vector<SchemaElement> schema, int num_row_groups,
                                       std::vector<KeyValue> key_value_metadata)
    : path_(std::move(path)),
      file_(std::move(file)),
      schema_(std::move(schema)),
      key_value_metadata_(std::move(key_value_metadata)),
      row_groups_(static_cast<size_t>(num_row_groups)),
      written_(static_cast<size_t>(num_row_groups), false) {}

RowGroupFileWriter::~RowGroupFileWriter() = default;

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
  file_->WriteAt(offset, bytes);
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
  file_->WriteAt(offset, bytes);
}

ColumnChunk RowGroupFileWriter::EndColumnChunk(ColumnChunk chunk) {
  std::lock_guard lock(mu_);
  if (streaming_ < 0) throw InvalidArgument("no row group is being streamed").With("file", path_);
  ShiftColumnChunkOffsets(&chunk, chunk_start_);
  streamed_.columns.push_back(chunk);
  chunk_start_ = end_;
  return chunk;
}

void RowGroupFileWriter::ReadBack(int64_t offset, std::span<uint8_t> out) const {
  file_->ReadAt(offset, out);
}

void RowGroupFileWriter::SetChunkExtras(int slot, int column, ChunkExtras extras) {
  std::lock_guard lock(mu_);
  if (closed_ || slot < 0 || static_cast<size_t>(slot) >= written_.size()) {
    throw InvalidArgument("no row group slot {} to attach a page index or Bloom filter to", slot)
        .With("file", path_);
  }
  extras_[{slot, column}] = std::move(extras);
}

void RowGroupFileWriter::WriteExtrasLocked() {
  std::vector<uint8_t> bytes;
  auto chunk_meta = [this](const std::pair<int, int>& key) -> ColumnChunk& {
    RowGroup& rg = row_groups_[static_cast<size_t>(key.first)];
    if (static_cast<size_t>(key.second) >= rg.columns.size()) {
      throw InvalidArgument("row group {} has no column {}", key.first, key.second)
          .With("file", path_);
    }
    return rg.columns[static_cast<size_t>(key.second)];
  };
  // Appends what `encode` writes and returns its offset and length in the file.
  auto append = [&](auto&& encode) {
    const size_t start = bytes.size();
    encode();
    return std::pair(end_ + static_cast<int64_t>(start),
                     static_cast<int32_t>(bytes.size() - start));
  };
  for (auto& [key, extras] : extras_) {
    if (extras.bloom_filter.empty()) continue;
    ColumnChunk& chunk = chunk_meta(key);
    if (!chunk.meta_data) continue;
    auto [offset, length] = append(
        [&] { bytes.insert(bytes.end(), extras.bloom_filter.begin(), extras.bloom_filter.end()); });
    chunk.meta_data->bloom_filter_offset = offset;
    chunk.meta_data->bloom_filter_length = length;
  }
  for (auto& [key, extras] : extras_) {
    if (!extras.page_index.column_index) continue;
    std::tie(chunk_meta(key).column_index_offset, chunk_meta(key).column_index_length) =
        append([&] { EncodeColumnIndex(*extras.page_index.column_index, &bytes); });
  }
  for (auto& [key, extras] : extras_) {
    if (!extras.page_index.offset_index) continue;
    std::tie(chunk_meta(key).offset_index_offset, chunk_meta(key).offset_index_length) =
        append([&] { EncodeOffsetIndex(*extras.page_index.offset_index, &bytes); });
  }
  file_->WriteAt(end_, bytes);
  end_ += static_cast<int64_t>(bytes.size());
  extras_.clear();
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
    WriteExtrasLocked();
    FileMetaData metadata;
    metadata.version = 1;
    metadata.schema = schema_;
    for (const RowGroup& rg : row_groups_) metadata.num_rows += rg.num_rows;
    metadata.row_groups = row_groups_;
    metadata.key_value_metadata = key_value_metadata_;
    // As every sluice writer: the shuffle's gather and the sort stage write through this too.
    metadata.created_by = "sluice";
    size_t leaves = 0;
    for (const SchemaElement& e : schema_) leaves += e.type.has_value();
    metadata.column_orders.assign(leaves, ColumnOrder::kTypeDefinedOrder);
    end_ = file_->Finish(metadata, end_, /*sync=*/true);
    closed_ = true;
    return end_;
  } catch (...) {
    file_->Abandon();
    closed_ = true;
    throw;
  }
}

}  // namespace sluice::parquet
