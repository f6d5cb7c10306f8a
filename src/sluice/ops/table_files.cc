#include "sluice/ops/table_files.h"

#include <algorithm>
#include <cerrno>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_text.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/staged_file.h"
#include "sluice/ops/json_text.h"

namespace sluice {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool IsCsvPath(const std::string& path) {
  return EndsWith(path, ".csv") || EndsWith(path, ".csv.gz") || EndsWith(path, ".csv.zst") ||
         EndsWith(path, ".tsv");
}

std::shared_ptr<TableScan> OpenTableInputs(const std::vector<std::string>& patterns,
                                           const csv::CsvReadOptions& csv,
                                           const std::vector<std::string>& columns,
                                           const std::string& where) {
  std::vector<std::string> paths;
  int csv_files = 0;
  for (const std::string& pattern : patterns) {
    std::vector<fs::FileInfo> matches = fs::FileSystemFor(pattern)->Glob(pattern);  // s3:// too
    if (matches.empty()) throw NotFound("no input file matches").With("input", pattern);
    for (const fs::FileInfo& m : matches) {
      if (IsCsvPath(m.path)) {
        ++csv_files;
      } else if (!EndsWith(m.path, ".parquet")) {
        throw NotSupported("inputs are Parquet (.parquet) or CSV (.csv, .csv.gz, .csv.zst, .tsv)")
            .With("input", m.path);
      }
      paths.push_back(m.path);
    }
  }
  if (csv_files == 0) {
    std::vector<std::string> unique;  // each once, in first-named order
    for (const std::string& c : columns) {
      if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
    }
    return TableScan::Open(paths, std::move(unique), where);
  }
  if (csv_files != static_cast<int>(paths.size())) {
    throw InvalidArgument("inputs mix CSV and Parquet files; give one kind")
        .With("input", patterns.front());
  }
  return TableScan::OpenCsv(paths, csv, where);
}

void CheckTableOutput(const std::string& path) {
  if (!EndsWith(path, ".parquet") && !EndsWith(path, ".csv")) {
    throw InvalidArgument("the output's extension picks its format: .parquet or .csv")
        .With("output", path);
  }
}

int64_t OutputWriterBytes(int64_t memory_budget) {
  return std::min(std::clamp<int64_t>(memory_budget / 8, int64_t{1} << 20, int64_t{128} << 20),
                  memory_budget / 2);
}

parquet::ParquetWriteOptions TakeWriterShare(int64_t& memory_budget) {
  parquet::ParquetWriteOptions options;
  options.row_group_bytes = OutputWriterBytes(memory_budget);
  memory_budget -= options.row_group_bytes;
  return options;
}

std::unique_ptr<TableFileWriter> TableFileWriter::Open(
    std::string path, std::shared_ptr<const Schema> schema,
    const parquet::ParquetWriteOptions& parquet_options) {
  CheckTableOutput(path);
  std::unique_ptr<TableFileWriter> writer(new TableFileWriter(std::move(path)));
  if (EndsWith(writer->path_, ".parquet")) {
    writer->parquet_ =
        parquet::ParquetWriter::Open(writer->path_, std::move(schema), parquet_options);
    return writer;
  }
  writer->temp_ = fs::StagingPathFor(writer->path_);  // uploaded at Close for s3://
  writer->csv_ = std::fopen(writer->temp_.c_str(), "wb");
  if (writer->csv_ == nullptr) throw IoErrorFromErrno(errno, "create", writer->path_);
  csv::AppendCsvHeader(*schema, writer->pending_);
  return writer;
}

TableFileWriter::~TableFileWriter() {
  if (csv_ != nullptr) {
    std::fclose(csv_);
    std::remove(temp_.c_str());
  }
}

void TableFileWriter::FlushCsv() {
  if (std::fwrite(pending_.data(), 1, pending_.size(), csv_) != pending_.size()) {
    throw IoErrorFromErrno(errno, "write", path_);
  }
  pending_.clear();
}

void TableFileWriter::Write(const RecordBatch& batch) {
  if (parquet_ != nullptr) {
    parquet_->Write(batch);
    return;
  }
  const RecordBatch text = NestedAsJsonText(batch);  // nested values as cat prints them
  for (int64_t r = 0; r < text.num_rows(); ++r) {
    csv::AppendCsvRow(text, r, pending_);
    if (pending_.size() > (1 << 20)) FlushCsv();
  }
}

void TableFileWriter::Close() {
  if (parquet_ != nullptr) {
    parquet_->Close();
    return;
  }
  FlushCsv();
  std::FILE* f = std::exchange(csv_, nullptr);
  if (std::fclose(f) != 0) {
    const int error = errno;
    std::remove(temp_.c_str());
    throw IoErrorFromErrno(error, "write", path_);
  }
  try {
    fs::PublishStagedFile(temp_, path_);  // rename, or upload for s3://
  } catch (...) {
    std::remove(temp_.c_str());
    throw;
  }
}

}  // namespace sluice
