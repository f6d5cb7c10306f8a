#include "sluice/ops/spill.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <limits>
#include <system_error>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/random_access_source.h"

namespace sluice {
namespace fs = std::filesystem;

struct SpillRunIndex {
  parquet::ParquetFooter footer;  // metadata.row_groups empty
  // Each row group's serialized RowGroup: [first, second) from footer.metadata_offset.
  std::vector<std::pair<uint32_t, uint32_t>> row_groups;
};

namespace {

std::shared_ptr<const SpillRunIndex> IndexRun(const std::string& path) {
  auto index = std::make_shared<SpillRunIndex>();
  std::unique_ptr<parquet::LocalFileSource> source = parquet::LocalFileSource::Open(path);
  index->footer = parquet::ReadFooter(*source);
  std::vector<uint8_t> bytes(static_cast<size_t>(index->footer.metadata_length));
  source->ReadAt(index->footer.metadata_offset, bytes);
  index->row_groups = parquet::FindRowGroups(bytes);
  SLUICE_CHECK_EQ(index->row_groups.size(), index->footer.metadata.row_groups.size());
  std::vector<parquet::RowGroup>().swap(index->footer.metadata.row_groups);
  return index;
}

// A reader over the run's file whose footer holds only `blocks` (all when empty), in that order.
std::unique_ptr<parquet::ParquetFileReader> OpenBlocks(const SpillRun& run,
                                                       const std::vector<int>& blocks) {
  const SpillRunIndex& index = *run.index;
  std::unique_ptr<parquet::LocalFileSource> source = parquet::LocalFileSource::Open(run.path);
  parquet::ParquetFooter footer = index.footer;
  const int count = static_cast<int>(index.row_groups.size());
  std::vector<uint8_t> bytes;
  auto add = [&](int block) {
    if (block < 0 || block >= count) {
      throw InvalidArgument("block {} of a spill run of {} blocks", block, count)
          .With("file", run.path);
    }
    const auto [begin, end] = index.row_groups[static_cast<size_t>(block)];
    bytes.resize(end - begin);
    source->ReadAt(index.footer.metadata_offset + begin, bytes);
    footer.metadata.row_groups.push_back(parquet::DecodeRowGroup(bytes));
  };
  if (blocks.empty()) {
    for (int b = 0; b < count; ++b) add(b);
  } else {
    for (int b : blocks) add(b);
  }
  return parquet::ParquetFileReader::FromFooter(std::move(source), std::move(footer));
}

}  // namespace

SpillDirectory::SpillDirectory(std::string parent) {
  std::error_code error;
  if (parent.empty()) {
    parent = fs::temp_directory_path(error).string();
    if (error) throw IoError("cannot find the temp directory for spills: {}", error.message());
  }
  static std::atomic<int64_t> next_directory{0};
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
  options.codec = parquet::CompressionCodec::kUncompressed;
  options.row_group_rows = std::numeric_limits<int64_t>::max();
  // A block ends its row group explicitly.
  options.row_group_bytes = std::numeric_limits<int64_t>::max();
  options.column.dictionary = false;
  options.column.statistics = false;
  options.sync = false;
  writer_ = parquet::ParquetWriter::Open(path_, std::move(schema), options);
}

SpillRunWriter::~SpillRunWriter() = default;

void SpillRunWriter::WriteBlock(std::span<const RecordBatch> pieces) {
  for (const RecordBatch& piece : pieces) {
    if (piece.num_rows() == 0) continue;
    writer_->Write(piece);
    rows_ += piece.num_rows();
  }
  writer_->EndRowGroup();
}

SpillRun SpillRunWriter::Finish() {
  writer_->Close();
  writer_.reset();
  std::error_code error;
  const auto bytes = fs::file_size(path_, error);
  if (error) throw IoErrorFromErrno(error.value(), "measuring a spill file", path_);
  SpillRun run{path_, rows_, static_cast<int64_t>(bytes), IndexRun(path_)};
  directory_.bytes_spilled_ += run.file_bytes;
  ++directory_.runs_;
  return run;
}

SpillRunReader::SpillRunReader(const SpillRun& run, std::vector<int> blocks) {
  parquet::ParquetReadOptions options;
  options.batch_rows = std::numeric_limits<int64_t>::max();
  if (run.index != nullptr) {
    file_ = OpenBlocks(run, blocks);  // its footer holds the blocks, in order
  } else {
    file_ = parquet::ParquetFileReader::Open(run.path);
    options.row_groups = std::move(blocks);
  }
  batches_ = file_->ReadBatches(options);
}

SpillRunReader::~SpillRunReader() = default;

std::optional<RecordBatch> SpillRunReader::Next() { return batches_->Next(); }

}  // namespace sluice
