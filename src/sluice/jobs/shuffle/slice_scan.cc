#include "sluice/jobs/shuffle/slice_scan.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <string>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/io/parquet/fetched_bytes_source.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/footer.h"

namespace sluice::shuffle {
namespace {

// Adjacent row groups of one map output, read with one ranged read.
struct Run {
  size_t file = 0;
  std::vector<int> row_groups;
  int64_t begin = 0;  // bytes [begin, end) of the file hold their column chunks
  int64_t end = 0;
  int64_t rows = 0;
  int64_t bytes = 0;  // column data, uncompressed
};

// The bytes a row group's column chunks span, as the column reader reads them.
std::pair<int64_t, int64_t> ByteRange(const parquet::ParquetFooter& footer, int row_group) {
  int64_t begin = std::numeric_limits<int64_t>::max(), end = 0;
  for (const parquet::ColumnChunk& chunk :
       footer.metadata.row_groups[static_cast<size_t>(row_group)].columns) {
    const parquet::ColumnChunkRange range =
        parquet::ColumnChunkReadRange(*chunk.meta_data, footer.metadata, footer.metadata_offset);
    begin = std::min(begin, range.start);
    end = std::max(end, range.start + range.length);
  }
  return {begin, end};
}

// The runs of `row_groups` (ascending) of file `f`, each at most max_bytes unless one row group is.
void AddRuns(size_t f, const parquet::ParquetFooter& footer, const std::vector<int>& row_groups,
             int64_t max_bytes, std::vector<Run>& runs) {
  bool open = false;
  for (int rg : row_groups) {
    if (rg < 0 || rg >= static_cast<int>(footer.metadata.row_groups.size())) {
      throw InvalidData("a map index names row group {} of a file of {}", rg,
                        footer.metadata.row_groups.size());
    }
    const parquet::RowGroup& group = footer.metadata.row_groups[static_cast<size_t>(rg)];
    const auto [begin, end] = ByteRange(footer, rg);
    const bool extends =
        open && begin == runs.back().end && runs.back().bytes + group.total_byte_size <= max_bytes;
    if (!extends) {
      runs.push_back(Run{.file = f, .begin = begin, .end = begin});
      open = true;
    }
    Run& run = runs.back();
    run.row_groups.push_back(rg);
    run.end = end;
    run.rows += group.num_rows;
    run.bytes += group.total_byte_size;
  }
}

// The map outputs, their footers without row groups (a unit's reader gets its own), and the runs.
struct SliceFiles {
  std::vector<std::unique_ptr<parquet::ParquetFileReader>> files;
  std::vector<parquet::ParquetFooter> bare_footers;
  std::vector<Run> runs;
  std::shared_ptr<MemoryGate> fetch_gate;
  std::vector<std::string> columns;  // decoded, all when empty
};

std::vector<RecordBatch> ReadRun(const SliceFiles& slices, const Run& run) {
  parquet::ParquetFileReader& file = *slices.files[run.file];
  // Released when this returns, after the fetched bytes (owned by the reader below) are freed.
  const MemoryGate::Hold hold =
      slices.fetch_gate->Acquire(run.end - run.begin, CancellationToken());
  const auto size = static_cast<size_t>(run.end - run.begin);
  fs::FileBytes bytes{std::make_unique_for_overwrite<char[]>(size), size};  // no zero fill
  file.source().ReadAt(run.begin, {reinterpret_cast<uint8_t*>(bytes.data.get()), size});
  parquet::ParquetFooter footer = slices.bare_footers[run.file];
  parquet::ParquetReadOptions options;
  options.columns = slices.columns;
  for (int rg : run.row_groups) {
    options.row_groups.push_back(static_cast<int>(footer.metadata.row_groups.size()));
    footer.metadata.row_groups.push_back(
        file.footer().metadata.row_groups[static_cast<size_t>(rg)]);
  }
  auto fetched = parquet::ParquetFileReader::FromFooter(
      std::make_unique<parquet::FetchedBytesSource>(file.name(), std::move(bytes), run.begin,
                                                    footer.file_size),
      std::move(footer));
  return fetched->ReadAll(options);
}

}  // namespace

std::shared_ptr<TableScan> OpenSlices(const std::vector<std::string>& paths,
                                      const std::vector<std::vector<int>>& row_groups,
                                      int64_t max_unit_bytes,
                                      std::shared_ptr<MemoryGate> fetch_gate,
                                      const std::vector<std::string>& columns) {
  SLUICE_CHECK_EQ(paths.size(), row_groups.size());
  SLUICE_CHECK(fetch_gate != nullptr);
  if (paths.empty()) throw InvalidArgument("no map outputs to read");
  auto slices = std::make_shared<SliceFiles>();
  slices->fetch_gate = std::move(fetch_gate);
  slices->columns = columns;
  std::shared_ptr<const Schema> schema;
  for (size_t f = 0; f < paths.size(); ++f) {
    auto file = parquet::ParquetFileReader::Open(paths[f]);
    parquet::ParquetReadOptions read;
    read.columns = columns;
    std::shared_ptr<const Schema> file_schema = file->ReadSchema(read);
    if (schema == nullptr) {
      schema = file_schema;
    } else if (!(*file_schema == *schema)) {
      throw InvalidData("map outputs have different schemas")
          .With("file", paths[f])
          .With("first_file", paths[0])
          .With("schema", file_schema->ToString())
          .With("first_schema", schema->ToString());
    }
    try {
      AddRuns(f, file->footer(), row_groups[f], max_unit_bytes, slices->runs);
    } catch (Error& e) {
      throw std::move(e.With("file", paths[f]));
    }
    parquet::ParquetFooter bare = file->footer();
    bare.metadata.row_groups.clear();
    slices->bare_footers.push_back(std::move(bare));
    slices->files.push_back(std::move(file));
  }
  std::vector<int64_t> unit_rows, unit_bytes;
  for (const Run& run : slices->runs) {
    unit_rows.push_back(run.rows);
    unit_bytes.push_back(run.bytes);
  }
  return TableScan::FromReader(schema, unit_rows, unit_bytes, [slices](int unit) {
    return ReadRun(*slices, slices->runs[static_cast<size_t>(unit)]);
  });
}

}  // namespace sluice::shuffle
