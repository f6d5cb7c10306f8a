#include "sluice/ops/spill.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <limits>
#include <system_error>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"

namespace sluice {
namespace fs = std::filesystem;

SpillDirectory::SpillDirectory(std::string parent) {
  if (parent.empty()) parent = fs::temp_directory_path().string();
  static std::atomic<int64_t> next_directory{0};
  std::error_code error;
  fs::create_directories(parent, error);
  for (int attempt = 0;; ++attempt) {
    fs::path candidate = fs::path(parent) / ("sluice-spill-" + std::to_string(::getpid()) + "-" +
                                             std::to_string(next_directory++));
    if (fs::create_directory(candidate, error)) {
      path_ = candidate.string();
      return;
    }
    // A name left by a crashed process of the same pid: try the next one.
    if (error || attempt > 1000) {
      throw IoError("cannot create the spill directory")
          .With("directory", candidate.string())
          .With("reason", error ? error.message() : "exists");
    }
  }
}

SpillDirectory::~SpillDirectory() {
  std::error_code error;
  fs::remove_all(path_, error);
  if (error) SLUICE_LOG_WARN("could not remove spill directory {}: {}", path_, error.message());
}

std::string SpillDirectory::NewFilePath(std::string_view stem) {
  return (fs::path(path_) / (std::string(stem) + "-" + std::to_string(next_file_++) + ".parquet"))
      .string();
}

SpillRunWriter::SpillRunWriter(SpillDirectory& directory, std::string_view stem,
                               std::shared_ptr<const Schema> schema)
    : directory_(directory), path_(directory.NewFilePath(stem)) {
  parquet::ParquetWriteOptions options;
  options.codec = parquet::CompressionCodec::kLz4Raw;
  options.row_group_rows = std::numeric_limits<int64_t>::max();
  options.row_group_bytes = 1;  // every Write closes its row group
  options.column.dictionary = false;
  options.column.statistics = false;
  options.sync = false;
  writer_ = parquet::ParquetWriter::Open(path_, std::move(schema), options);
}

SpillRunWriter::~SpillRunWriter() = default;

void SpillRunWriter::Write(const RecordBatch& batch) {
  if (batch.num_rows() == 0) return;
  writer_->Write(batch);
  rows_ += batch.num_rows();
}

SpillRun SpillRunWriter::Finish() {
  writer_->Close();
  writer_.reset();
  SpillRun run{path_, rows_, static_cast<int64_t>(fs::file_size(path_))};
  directory_.bytes_spilled_ += run.file_bytes;
  ++directory_.runs_;
  return run;
}

SpillRunReader::SpillRunReader(const SpillRun& run, std::vector<int> blocks)
    : file_(parquet::ParquetFileReader::Open(run.path)) {
  parquet::ParquetReadOptions options;
  options.row_groups = std::move(blocks);
  options.batch_rows = std::numeric_limits<int64_t>::max();
  batches_ = file_->ReadBatches(options);
}

SpillRunReader::~SpillRunReader() = default;

std::optional<RecordBatch> SpillRunReader::Next() { return batches_->Next(); }

}  // namespace sluice
