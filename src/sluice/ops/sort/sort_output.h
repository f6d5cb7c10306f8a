// SortOutput: the file `sluice sort` writes its sorted rows to, by the output's extension:
// Parquet through ParallelParquetWriter (row groups encoded on `threads` threads behind the
// merge), CSV through TableFileWriter.
//
// Ownership: owns its writer. Thread safety: one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/sort/parallel_parquet_writer.h"
#include "sluice/ops/table_files.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class SortOutput {
 public:
  // As TableFileWriter::Open; `threads` <= 0 means the usable cores.
  static std::unique_ptr<SortOutput> Open(const std::string& path,
                                          std::shared_ptr<const Schema> schema,
                                          const parquet::ParquetWriteOptions& options, int threads);
  void Write(const RecordBatch& batch);
  void Close();

 private:
  std::unique_ptr<ParallelParquetWriter> parquet_;
  std::unique_ptr<TableFileWriter> other_;
};

}  // namespace sluice
