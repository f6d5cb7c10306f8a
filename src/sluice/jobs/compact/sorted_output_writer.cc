#include "sluice/jobs/compact/sorted_output_writer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "sluice/base/error.h"
#include "sluice/jobs/compact/chunk_bloom_filter.h"

namespace sluice::compact {
namespace {

// The page index as written at offset 0, moved to where the chunk was placed.
void ShiftPageIndex(parquet::ColumnPageIndex& index, int64_t delta) {
  if (!index.offset_index) return;
  for (parquet::PageLocation& page : index.offset_index->page_locations) page.offset += delta;
}

// Whether a chunk's dictionary page takes more than half of its bytes: its values are mostly
// distinct (a timestamp, or a key the rows are sorted by), so plain pages are smaller and the
// dictionary costs its hashing for nothing.
bool DictionaryDidNotPay(const parquet::ColumnMetaData& meta) {
  if (!meta.dictionary_page_offset) return false;
  const int64_t dictionary = meta.data_page_offset - *meta.dictionary_page_offset;
  return 2 * dictionary > meta.total_compressed_size;
}

}  // namespace

std::vector<SortedFileLayout> SortedLayout(const PartitionPlan& plan, double bytes_per_row,
                                           int64_t max_row_group_bytes) {
  std::vector<SortedFileLayout> layout;
  for (const OutputFilePlan& file : plan.files) {
    SortedFileLayout& out = layout.emplace_back();
    for (const OutputRowGroupPlan& rg : file.row_groups) {
      const double bytes = bytes_per_row * static_cast<double>(rg.rows);
      const auto parts = std::clamp<int64_t>(
          static_cast<int64_t>(std::ceil(bytes / static_cast<double>(max_row_group_bytes))), 1,
          std::max<int64_t>(rg.rows, 1));
      for (int64_t p = 0; p < parts; ++p) {
        out.row_groups.push_back(rg.rows * (p + 1) / parts - rg.rows * p / parts);
      }
    }
  }
  return layout;
}

SortedOutputWriter::SortedOutputWriter(std::filesystem::path dir,
                                       std::shared_ptr<const PartitionPlan> plan,
                                       std::shared_ptr<const Schema> schema,
                                       const CompactOptions& options, int64_t max_row_group_bytes)
    : dir_(std::move(dir)),
      plan_(std::move(plan)),
      schema_(std::move(schema)),
      options_(options),
      max_row_group_bytes_(std::max<int64_t>(max_row_group_bytes, 1)),
      columns_(parquet::MakeWriterColumns(*schema_)),
      codec_(parquet::Codec::Make(options.codec, options.compression_level)),
      backoff_(columns_.size()),
      plain_(columns_.size(), false) {
  for (const parquet::WriterColumn& column : columns_) {
    const std::string path = fmt::format("{}", fmt::join(column.path, "."));
    bloom_.push_back(std::find(options.bloom_filter_columns.begin(),
                               options.bloom_filter_columns.end(),
                               path) != options.bloom_filter_columns.end());
  }
}

void SortedOutputWriter::Open(double bytes_per_row) {
  layout_ = SortedLayout(*plan_, bytes_per_row, max_row_group_bytes_);
  const std::vector<parquet::SchemaElement> elements = parquet::MakeSchemaElements(columns_);
  for (size_t f = 0; f < layout_.size(); ++f) {
    files_.push_back(
        parquet::RowGroupFileWriter::Open((dir_ / plan_->files[f].name).string(), elements,
                                          static_cast<int>(layout_[f].row_groups.size())));
  }
}

void SortedOutputWriter::Write(const RecordBatch& batch) {
  if (batch.num_rows() == 0) return;
  if (files_.empty()) {
    Open(static_cast<double>(ByteSize(batch)) / static_cast<double>(batch.num_rows()));
  }
  for (int64_t at = 0; at < batch.num_rows();) {
    if (file_ == layout_.size()) {
      throw InvalidData("the sort gave more rows than the partition's plan holds ({})",
                        plan_->rows);
    }
    const int64_t want = layout_[file_].row_groups[slot_] - pending_rows_;
    const int64_t take = std::min(want, batch.num_rows() - at);
    pending_.push_back(batch.Slice(at, take));
    pending_rows_ += take;
    at += take;
    if (take == want) WriteRowGroup();
  }
}

parquet::ColumnChunk SortedOutputWriter::WriteChunk(size_t c, parquet::RowGroupFileWriter& file,
                                                    int slot) {
  const parquet::WriterColumn& column = columns_[c];
  std::vector<Array> pieces;
  pieces.reserve(pending_.size());
  for (const RecordBatch& b : pending_) pieces.push_back(b.column(column.field_index));
  parquet::ColumnWriteOptions write;
  write.dictionary_size_limit = options_.max_dictionary_bytes;
  write.dictionary = !plain_[c];
  write = backoff_.OptionsFor(c, write);
  parquet::ColumnPageIndex page_index;
  bytes_.clear();
  parquet::ColumnChunk chunk;
  try {
    chunk = chunk_writer_.Write(column, pieces, write, *codec_, 0, &bytes_,
                                options_.page_index ? &page_index : nullptr);
  } catch (Error& error) {
    throw std::move(error.With("column", fmt::format("{}", fmt::join(column.path, "."))));
  }
  backoff_.Record(c, write, column, chunk);
  plain_[c] = plain_[c] || DictionaryDidNotPay(*chunk.meta_data);
  const int64_t written_at = chunk.meta_data->data_page_offset;
  file.AppendChunkBytes(bytes_);
  parquet::ColumnChunk placed = file.EndColumnChunk(std::move(chunk));
  parquet::RowGroupFileWriter::ChunkExtras extras;
  if (options_.page_index) {
    ShiftPageIndex(page_index, placed.meta_data->data_page_offset - written_at);
    extras.page_index = std::move(page_index);
  }
  if (bloom_[c]) {
    std::vector<uint64_t> hashes;
    for (const Array& piece : pieces) HashBloomValues(piece, column.physical_type, hashes);
    extras.bloom_filter = BloomFilterOfHashes(std::move(hashes), options_.bloom_filter_fpp);
  }
  if (options_.page_index || bloom_[c]) {
    file.SetChunkExtras(slot, static_cast<int>(c), std::move(extras));
  }
  return placed;
}

void SortedOutputWriter::WriteRowGroup() {
  parquet::RowGroupFileWriter& file = *files_[file_];
  const int slot = static_cast<int>(slot_);
  file.StartRowGroup(slot);
  for (size_t c = 0; c < columns_.size(); ++c) WriteChunk(c, file, slot);
  file.FinishRowGroup(pending_rows_);
  pending_.clear();
  pending_rows_ = 0;
  if (++slot_ == layout_[file_].row_groups.size()) {
    slot_ = 0;
    ++file_;
  }
}

std::vector<std::unique_ptr<parquet::RowGroupFileWriter>> SortedOutputWriter::Finish() {
  if (files_.empty()) Open(1);  // no rows at all
  // Row groups of no rows (a plan of empty inputs) are written too.
  while (file_ < layout_.size() && layout_[file_].row_groups[slot_] == pending_rows_) {
    WriteRowGroup();
  }
  if (file_ != layout_.size() || pending_rows_ > 0) {
    throw InvalidData("the sort gave fewer rows than the partition's plan holds ({})", plan_->rows);
  }
  return std::move(files_);
}

}  // namespace sluice::compact
