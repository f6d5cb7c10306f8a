#include "sluice/ops/sort/parallel_parquet_writer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_chunk_writer.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/row_group_file_writer.h"

namespace sluice {

// One row group being encoded: its batches, then each column's chunk and bytes (encoded as if
// the chunk began at file offset 0).
struct ParallelParquetWriter::Group {
  std::vector<RecordBatch> batches;
  int64_t rows = 0;
  std::vector<parquet::ColumnChunk> chunks;
  std::vector<std::vector<uint8_t>> bytes;
  int left = 0;              // columns not encoded yet; guarded by the writer's mu_
  std::exception_ptr error;  // the first column's failure; guarded by the writer's mu_
};

// What one thread encodes with: buffers reused chunk after chunk, and its own codec.
struct ParallelParquetWriter::Encoder {
  parquet::ColumnChunkWriter writer;
  std::unique_ptr<parquet::Codec> codec;
};

std::unique_ptr<ParallelParquetWriter> ParallelParquetWriter::Open(
    const std::string& path, std::shared_ptr<const Schema> schema,
    const parquet::ParquetWriteOptions& options, int threads) {
  if (options.row_group_rows <= 0 || options.row_group_bytes <= 0 ||
      options.column.page_size <= 0) {
    throw InvalidArgument("row group and page sizes must be positive").With("file", path);
  }
  if (options.page_index) {
    throw InvalidArgument("the parallel writer writes no page index").With("file", path);
  }
  auto file = std::make_unique<parquet::StagedParquetFile>(path);
  return std::unique_ptr<ParallelParquetWriter>(new ParallelParquetWriter(
      path, std::move(file), std::move(schema), options, std::max(threads, 1)));
}

ParallelParquetWriter::ParallelParquetWriter(std::string path,
                                             std::unique_ptr<parquet::StagedParquetFile> file,
                                             std::shared_ptr<const Schema> schema,
                                             parquet::ParquetWriteOptions options, int threads)
    : path_(std::move(path)),
      file_(std::move(file)),
      schema_(std::move(schema)),
      options_(std::move(options)),
      group_bytes_(std::max<int64_t>(options_.row_group_bytes / 2, 1)) {
  try {
    columns_ = parquet::MakeWriterColumns(*schema_);
    dictionary_backoff_ = parquet::DictionaryBackoff(columns_.size());
    auto make_encoder = [this] {
      auto e = std::make_unique<Encoder>();
      e->codec = parquet::Codec::Make(options_.codec, options_.compression_level);
      return e;
    };
    own_encoder_ = make_encoder();
    for (int i = 0; i < threads; ++i) encoders_.push_back(make_encoder());
  } catch (Error& error) {
    Abandon();
    throw std::move(error.With("file", path_));
  } catch (...) {
    Abandon();
    throw;
  }
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ParallelParquetWriter::~ParallelParquetWriter() {
  StopWorkers();
  if (!closed_) Abandon();
}

void ParallelParquetWriter::StopWorkers() noexcept {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void ParallelParquetWriter::Abandon() noexcept {
  file_->Abandon();
  closed_ = true;
}

void ParallelParquetWriter::WorkerLoop(int index) {
  Encoder& encoder = *encoders_[static_cast<size_t>(index)];
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    std::function<void(Encoder&)> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job(encoder);
    lock.lock();
  }
}

void ParallelParquetWriter::RunColumn(Group& group, int column, Encoder& encoder) {
  std::exception_ptr error;
  try {
    const size_t c = static_cast<size_t>(column);
    // A nested field has one writer column per leaf, each encoded from the field's whole array.
    std::vector<Array> pieces;
    pieces.reserve(group.batches.size());
    for (const RecordBatch& b : group.batches) pieces.push_back(b.column(columns_[c].field_index));
    const parquet::ColumnWriteOptions options = dictionary_backoff_.OptionsFor(c, options_.column);
    try {
      group.chunks[c] =
          encoder.writer.Write(columns_[c], pieces, options, *encoder.codec, 0, &group.bytes[c]);
      dictionary_backoff_.Record(c, options, columns_[c], group.chunks[c]);
    } catch (Error& e) {
      throw std::move(e.With("column", fmt::format("{}", fmt::join(columns_[c].path, ".")))
                          .With("file", path_));
    }
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard lock(mu_);
    if (error && !group.error) group.error = error;
    --group.left;
  }
  done_.notify_all();
}

void ParallelParquetWriter::WriteBytes(const uint8_t* data, size_t size) {
  file_->WriteAt(offset_, {data, size});
  offset_ += static_cast<int64_t>(size);
}

void ParallelParquetWriter::Write(const RecordBatch& batch) {
  if (closed_) throw InvalidArgument("write after close").With("file", path_);
  if (!(batch.schema() == *schema_)) {
    throw InvalidArgument("the batch's schema differs from the file's:\n{}\nvs\n{}",
                          batch.schema().ToString(), schema_->ToString())
        .With("file", path_);
  }
  int64_t offset = 0;
  while (offset < batch.num_rows()) {
    const int64_t rows =
        std::min(batch.num_rows() - offset, options_.row_group_rows - pending_rows_);
    RecordBatch piece = batch.Slice(offset, rows);
    pending_bytes_ += parquet::BatchDataBytes(piece);
    pending_rows_ += rows;
    pending_.push_back(std::move(piece));
    offset += rows;
    if (pending_rows_ >= options_.row_group_rows || pending_bytes_ >= group_bytes_) Submit();
  }
}

void ParallelParquetWriter::Submit() {
  Drain();
  if (pending_rows_ == 0) return;
  auto group = std::make_shared<Group>();
  group->batches = std::move(pending_);
  group->rows = pending_rows_;
  pending_.clear();
  pending_rows_ = 0;
  pending_bytes_ = 0;
  const int n = static_cast<int>(columns_.size());
  group->chunks.resize(static_cast<size_t>(n));
  group->bytes.resize(static_cast<size_t>(n));
  group->left = n;
  encoding_ = group;
  {
    std::lock_guard lock(mu_);
    for (int c = 0; c < n; ++c) {
      jobs_.push_back([this, group, c](Encoder& e) { RunColumn(*group, c, e); });
    }
  }
  work_.notify_all();
}

void ParallelParquetWriter::Drain() {
  if (!encoding_) return;
  std::shared_ptr<Group> group = std::move(encoding_);
  encoding_.reset();
  {
    std::unique_lock lock(mu_);
    while (group->left > 0) {
      if (!jobs_.empty()) {
        // Help rather than wait: the workers may be busy or descheduled.
        std::function<void(Encoder&)> job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job(*own_encoder_);
        lock.lock();
        continue;
      }
      done_.wait(lock);
    }
    if (group->error) std::rethrow_exception(group->error);
  }
  parquet::RowGroup row_group;
  row_group.num_rows = group->rows;
  row_group.file_offset = offset_;
  int64_t compressed = 0;
  for (size_t c = 0; c < group->chunks.size(); ++c) {
    parquet::ColumnChunk& chunk = group->chunks[c];
    parquet::ShiftColumnChunkOffsets(&chunk, offset_);
    WriteBytes(group->bytes[c].data(), group->bytes[c].size());
    std::vector<uint8_t>().swap(group->bytes[c]);
    row_group.total_byte_size += chunk.meta_data->total_uncompressed_size;
    compressed += chunk.meta_data->total_compressed_size;
    row_group.columns.push_back(std::move(chunk));
  }
  row_group.total_compressed_size = compressed;
  row_group.ordinal = static_cast<int16_t>(row_groups_.size());
  row_groups_.push_back(std::move(row_group));
  rows_written_ += group->rows;
}

void ParallelParquetWriter::Close() {
  if (closed_) throw InvalidArgument("close after close").With("file", path_);
  try {
    Submit();
    Drain();
    StopWorkers();
    file_->Finish(parquet::MakeFileMetaData(columns_, rows_written_, std::move(row_groups_),
                                            options_.key_value_metadata),
                  offset_, options_.sync);
    closed_ = true;
  } catch (...) {
    StopWorkers();
    Abandon();
    throw;
  }
}

}  // namespace sluice
