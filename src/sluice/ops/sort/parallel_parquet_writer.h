// ParallelParquetWriter: writes record batches of one schema to a Parquet file like
// parquet::ParquetWriter, but encodes each row group's column chunks on `threads` worker threads
// while the caller keeps producing the next row group. The sorted output of `sluice sort` comes
// from one merging thread; with this writer the other cores encode and compress behind it
// instead of the merge waiting for each row group's encoding.
//
// Columns whose dictionary overflowed skip the next tries as ParquetWriter's do
// (parquet::DictionaryBackoff), so both write the same bytes.
//
// Memory: at most two row groups are held, the one filling and the one being encoded, so each
// closes at half of options.row_group_bytes (or at options.row_group_rows rows). Page indexes
// are not written (options.page_index must be false).
//
// The file is written under a temporary name beside the target and renamed onto it by Close
// after an fsync (options.sync); a writer destroyed without Close, or a failure, leaves no file
// at the target.
//
// Ownership: owns its file descriptor, its worker threads and the batches it buffers (which
// share the callers' buffers). Thread safety: Write and Close from one thread at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/io/parquet/dictionary_backoff.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/staged_parquet_file.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class ParallelParquetWriter {
 public:
  // Creates the temporary file. InvalidArgument for bad options (page_index included),
  // NotSupported for a schema Parquet cannot hold, IoError when the file cannot be created.
  static std::unique_ptr<ParallelParquetWriter> Open(const std::string& path,
                                                     std::shared_ptr<const Schema> schema,
                                                     const parquet::ParquetWriteOptions& options,
                                                     int threads);
  ~ParallelParquetWriter();
  ParallelParquetWriter(const ParallelParquetWriter&) = delete;
  ParallelParquetWriter& operator=(const ParallelParquetWriter&) = delete;

  // InvalidArgument when the batch's schema differs from the writer's; the first encoding error.
  void Write(const RecordBatch& batch);
  // Writes what is buffered and the footer, then renames the file onto the target.
  void Close();

 private:
  struct Group;
  struct Encoder;

  ParallelParquetWriter(std::string path, std::unique_ptr<parquet::StagedParquetFile> file,
                        std::shared_ptr<const Schema> schema, parquet::ParquetWriteOptions options,
                        int threads);
  // Hands the filling row group to the encoders, after writing the one before it.
  void Submit();
  // Waits for the row group being encoded (running its columns on this thread too) and appends
  // it to the file.
  void Drain();
  void RunColumn(Group& group, int column, Encoder& encoder);
  void WorkerLoop(int index);
  void WriteBytes(const uint8_t* data, size_t size);
  void Abandon() noexcept;
  void StopWorkers() noexcept;

  std::string path_;
  std::unique_ptr<parquet::StagedParquetFile> file_;
  std::shared_ptr<const Schema> schema_;
  parquet::ParquetWriteOptions options_;
  std::vector<parquet::WriterColumn> columns_;
  // Used by the thread encoding a column's chunk; row groups encode one after another (Drain).
  parquet::DictionaryBackoff dictionary_backoff_;
  int64_t group_bytes_;
  int64_t offset_ = parquet::StagedParquetFile::kHeaderBytes;
  std::vector<RecordBatch> pending_;
  int64_t pending_rows_ = 0;
  int64_t pending_bytes_ = 0;
  std::vector<parquet::RowGroup> row_groups_;
  int64_t rows_written_ = 0;
  bool closed_ = false;
  std::unique_ptr<Encoder> own_encoder_;  // the calling thread's, while it waits
  std::vector<std::unique_ptr<Encoder>> encoders_;
  std::shared_ptr<Group> encoding_;  // the row group the workers encode, or null

  std::mutex mu_;
  std::condition_variable work_;  // a column job was queued, or stop
  std::condition_variable done_;  // a column job finished
  // guarded by mu_
  std::deque<std::function<void(Encoder&)>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace sluice
