#include "sluice/ops/sort/sort_output.h"

#include "sluice/base/cores.h"

namespace sluice {

std::unique_ptr<SortOutput> SortOutput::Open(const std::string& path,
                                             std::shared_ptr<const Schema> schema,
                                             const parquet::ParquetWriteOptions& options,
                                             int threads) {
  CheckTableOutput(path);
  auto out = std::make_unique<SortOutput>();
  if (path.ends_with(".parquet") && !options.page_index) {
    out->parquet_ = ParallelParquetWriter::Open(path, std::move(schema), options,
                                                threads > 0 ? threads : UsableCores());
  } else {
    out->other_ = TableFileWriter::Open(path, std::move(schema), options);
  }
  return out;
}

void SortOutput::Write(const RecordBatch& batch) {
  if (parquet_) {
    parquet_->Write(batch);
  } else {
    other_->Write(batch);
  }
}

void SortOutput::Close() {
  if (parquet_) {
    parquet_->Close();
  } else {
    other_->Close();
  }
}

}  // namespace sluice
