// SortedOutputWriter: writes a partition's rows, as a sort hands them over in order, into the
// output files of its plan (compaction_plan.h): file i takes the next plan.files[i].rows rows,
// under the plan's names, so --target-file-size, --row-group-size and --row-group-rows mean what
// they mean for page copies. A planned row group is split into equal parts when its rows would
// hold more than `max_row_group_bytes` in memory (judged from the first batch's bytes per row),
// since a row group is encoded from its rows held whole.
//
// Each row group is encoded column by column (io/parquet/column_chunk_writer.h: dictionary with
// back-off, dropped for good once a dictionary page takes over half of its chunk, --codec,
// statistics on) and appended to the file as it is made; with page_index, each
// chunk's ColumnIndex and OffsetIndex, and for the --bloom-filter columns a split-block Bloom
// filter of the chunk's values (chunk_bloom_filter.h), written by Close. The files are left open
// (not closed): commit writes their footers and renames them into place, as for page copies.
//
// Ownership: owns its files until Finish hands them over; batches are held (shared) until their
// row group is written. Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/column_chunk_writer.h"
#include "sluice/io/parquet/dictionary_backoff.h"
#include "sluice/io/parquet/row_group_file_writer.h"
#include "sluice/io/parquet/writer_schema.h"
#include "sluice/jobs/compact/compact_options.h"
#include "sluice/jobs/compact/compaction_plan.h"
#include "sluice/table/record_batch.h"

namespace sluice::compact {

// The rows of each row group of one output file.
struct SortedFileLayout {
  std::vector<int64_t> row_groups;
};

// The plan's files with each planned row group split into the fewest equal parts of at most
// `max_row_group_bytes` at `bytes_per_row`.
std::vector<SortedFileLayout> SortedLayout(const PartitionPlan& plan, double bytes_per_row,
                                           int64_t max_row_group_bytes);

class SortedOutputWriter {
 public:
  // Files go into `dir`; `schema` is the output's (every batch's).
  SortedOutputWriter(std::filesystem::path dir, std::shared_ptr<const PartitionPlan> plan,
                     std::shared_ptr<const Schema> schema, const CompactOptions& options,
                     int64_t max_row_group_bytes);
  SortedOutputWriter(const SortedOutputWriter&) = delete;
  SortedOutputWriter& operator=(const SortedOutputWriter&) = delete;

  // The next rows in order. InvalidData past the plan's rows.
  void Write(const RecordBatch& batch);
  // Every file, all its row groups written, footer not yet. InvalidData when fewer rows came than
  // the plan holds.
  std::vector<std::unique_ptr<parquet::RowGroupFileWriter>> Finish();

 private:
  // Opens the files once the first batch tells the rows' size in memory.
  void Open(double bytes_per_row);
  // Encodes the pending rows as the current row group, then moves to the next slot or file.
  void WriteRowGroup();
  parquet::ColumnChunk WriteChunk(size_t c, parquet::RowGroupFileWriter& file, int slot);

  const std::filesystem::path dir_;
  const std::shared_ptr<const PartitionPlan> plan_;
  const std::shared_ptr<const Schema> schema_;
  const CompactOptions& options_;
  const int64_t max_row_group_bytes_;
  std::vector<parquet::WriterColumn> columns_;
  std::vector<bool> bloom_;  // by leaf: a Bloom filter is wanted
  std::unique_ptr<parquet::Codec> codec_;
  parquet::ColumnChunkWriter chunk_writer_;
  parquet::DictionaryBackoff backoff_;
  std::vector<bool> plain_;  // by leaf: a dictionary did not pay, plain pages from now on
  std::vector<uint8_t> bytes_;
  std::vector<SortedFileLayout> layout_;
  std::vector<std::unique_ptr<parquet::RowGroupFileWriter>> files_;
  size_t file_ = 0;  // the file and row group being filled
  size_t slot_ = 0;
  std::vector<RecordBatch> pending_;
  int64_t pending_rows_ = 0;
};

}  // namespace sluice::compact
