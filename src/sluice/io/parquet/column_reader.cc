#include "sluice/io/parquet/column_reader.h"

#include <algorithm>
#include <limits>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_appender.h"
#include "sluice/io/parquet/leaf_page_steps.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/concat.h"
#include "sluice/table/dictionary.h"

namespace sluice::parquet {

ColumnChunkReader::ColumnChunkReader(RandomAccessSource& source, const ParquetFooter& footer,
                                     int row_group, int column, const ColumnReadOptions& options,
                                     const RowRanges* rows)
    : source_(source),
      footer_(footer),
      file_(source.name()),
      column_(footer.schema.columns().at(static_cast<size_t>(column))),
      column_index_(column),
      row_group_(row_group),
      options_(options),
      type_([&] {
        try {
          return ResolveColumnType(column_, options.int96_unit);
        } catch (Error& error) {
          throw std::move(error.With("row_group", std::to_string(row_group)).With("file", file_));
        }
      }()),
      values_decoder_(column_.physical_type, column_.type_length) {
  try {
    if (column_.nested) {
      throw NotSupported(
          "column {} is a nested leaf; its top-level field reads through "
          "NestedColumnReader",
          column_.DottedPath());
    }
    values_.width = PhysicalValueWidth(column_.physical_type, column_.type_length);
    appender_ = std::make_unique<ColumnAppender>(type_, options_.allocator);
    if (options_.keep_dictionary) {
      ColumnType index_type{Field{type_.field.name, DataType::Int32(), type_.field.nullable}};
      index_appender_ = std::make_unique<ColumnAppender>(index_type, options_.allocator);
    }
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
  StartRowGroup(row_group, rows);
}

void ColumnChunkReader::StartRowGroup(int row_group, const RowRanges* rows) {
  row_group_ = row_group;
  page_index_ = -1;
  pages_.reset();
  has_dictionary_ = false;
  dictionary_array_.reset();
  seen_data_page_ = false;
  page_left_ = 0;
  values_read_ = 0;
  selecting_ = rows != nullptr;
  ranges_.clear();
  if (selecting_) ranges_ = *rows;
  next_range_ = 0;
  fetched_subset_ = false;
  fetched_first_rows_.clear();
  fetched_page_ = 0;
  if (appender_->length() > 0) appender_->Finish();
  if (index_appender_ != nullptr && index_appender_->length() > 0) index_appender_->Finish();
  try {
    meta_ = &*footer_.metadata.row_groups.at(static_cast<size_t>(row_group))
                  .columns.at(static_cast<size_t>(column_index_))
                  .meta_data;
    if (codec_ == nullptr || codec_->codec() != meta_->codec) codec_ = Codec::Make(meta_->codec);
    // ReadFooter checked that the chunk lies inside the file's data area, so the allocation is
    // bounded by the file's size.
    ColumnChunkRange range =
        ColumnChunkReadRange(*meta_, footer_.metadata, footer_.metadata_offset);
    if (!selecting_ || !LoadSelectedPages(range)) LoadChunk(range);
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

void ColumnChunkReader::LoadChunk(const ColumnChunkRange& range) {
  chunk_.Resize(static_cast<size_t>(range.length));
  source_.ReadAt(range.start, chunk_.span());
  pages_.emplace(chunk_.span(), range.start, meta_->num_values);
}

bool ColumnChunkReader::LoadSelectedPages(const ColumnChunkRange& range) {
  const RowGroup& group = footer_.metadata.row_groups[static_cast<size_t>(row_group_)];
  std::optional<OffsetIndex> index;
  try {
    index = ReadOffsetIndex(source_, group.columns[static_cast<size_t>(column_index_)]);
  } catch (const Error&) {
    return false;  // an optional index that cannot be read only costs the skipping
  }
  if (!index) return false;
  const std::vector<PageLocation>& locations = index->page_locations;
  const std::optional<std::vector<size_t>> pages =
      PagesHoldingRows(locations, group.num_rows, ranges_);
  if (!pages || pages->size() == locations.size()) return false;
  // Pages must lie in the chunk, in order, after its dictionary page (and any index pages).
  const int64_t chunk_end = range.start + range.length;
  for (size_t p = 0; p < locations.size(); ++p) {
    const int64_t end = locations[p].offset + locations[p].compressed_page_size;
    const int64_t limit = p + 1 < locations.size() ? locations[p + 1].offset : chunk_end;
    if (locations[p].offset < range.start || locations[p].compressed_page_size <= 0 ||
        end > limit) {
      return false;
    }
  }
  const int64_t head = locations.front().offset - range.start;
  int64_t total = head;
  for (size_t p : *pages) total += locations[p].compressed_page_size;
  uint8_t* out = chunk_.Resize(static_cast<size_t>(total));
  if (head > 0) source_.ReadAt(range.start, {out, static_cast<size_t>(head)});
  out += head;
  // One read per run of adjacent pages.
  for (size_t i = 0; i < pages->size();) {
    const int64_t start = locations[(*pages)[i]].offset;
    int64_t end = start + locations[(*pages)[i]].compressed_page_size;
    for (++i; i < pages->size() && locations[(*pages)[i]].offset == end; ++i) {
      end += locations[(*pages)[i]].compressed_page_size;
    }
    source_.ReadAt(start, {out, static_cast<size_t>(end - start)});
    out += end - start;
  }
  fetched_subset_ = true;
  for (size_t p : *pages) fetched_first_rows_.push_back(locations[p].first_row_index);
  pages_skipped_ += static_cast<int64_t>(locations.size() - pages->size());
  // The fetched pages hold fewer values than the chunk: the iterator ends with the bytes.
  pages_.emplace(chunk_.span(), range.start, std::numeric_limits<int64_t>::max());
  return true;
}

ColumnChunkReader::~ColumnChunkReader() = default;

Error ColumnChunkReader::AddContext(Error error) const {
  if (page_index_ >= 0) error.With("page", std::to_string(page_index_));
  error.With("column", column_.DottedPath());
  error.With("row_group", std::to_string(row_group_));
  error.With("file", file_);
  return error;
}

bool ColumnChunkReader::NextDataPage(int64_t pass_until) {
  RawPage page;
  while (pages_->Next(&page)) {
    page_index_ = page.index;
    const PageHeader& header = page.header;
    if (header.data_page_header || header.data_page_header_v2) {
      seen_data_page_ = true;
      if (PassOverPage(header, pass_until)) continue;
    }
    CheckPage(header, page.data, options_);
    switch (header.type) {
      case PageType::kDictionaryPage:
        ReadDictionaryPage(page, column_, *codec_, has_dictionary_ || seen_data_page_, page_bytes_,
                           &dictionary_);
        has_dictionary_ = true;
        break;
      case PageType::kDataPage:
      case PageType::kDataPageV2:
        seen_data_page_ = true;
        StartDataPage(page);
        if (page_left_ > 0) return true;
        break;
      default:  // index pages and pages of future types carry no values of ours
        break;
    }
  }
  return false;
}

bool ColumnChunkReader::PassOverPage(const PageHeader& header, int64_t pass_until) {
  if (fetched_subset_) {
    if (fetched_page_ == fetched_first_rows_.size()) {
      throw InvalidData("more data pages than the offset index located");
    }
    const int64_t first = fetched_first_rows_[fetched_page_++];
    if (first < values_read_) {
      throw InvalidData(
          "the offset index starts a page at row {}, before row {} where the last "
          "one ended",
          first, values_read_);
    }
    values_read_ = first;
  }
  // A flat column's page holds one value per row.
  const int64_t rows = header.data_page_header      ? header.data_page_header->num_values
                       : header.data_page_header_v2 ? header.data_page_header_v2->num_rows
                                                    : -1;
  if (rows < 0 || values_read_ + rows > pass_until) return false;
  values_read_ += rows;
  pages_skipped_ += rows > 0 ? 1 : 0;
  return true;
}

void ColumnChunkReader::StartDataPage(const RawPage& page) {
  const PageHeader& header = page.header;
  int32_t num_values;
  Encoding encoding;
  if (header.type == PageType::kDataPage) {
    if (!header.data_page_header) throw InvalidData("a data page without a data page header");
    const DataPageHeader& d = *header.data_page_header;
    num_values = d.num_values;
    encoding = d.encoding;
    page_bytes_.Resize(static_cast<size_t>(header.uncompressed_page_size));
    DecompressPage(header, page.data, *codec_, page_bytes_.span());
    std::span<const uint8_t> bytes = page_bytes_.span();
    // Flat columns have no repetition levels (max level 0 stores none).
    definition_levels_ = LevelDecoder::ForDataPageV1(
        d.definition_level_encoding, column_.max_definition_level, num_values, bytes);
    bytes = bytes.subspan(definition_levels_.encoded_size());
    values_decoder_.Reset(encoding, bytes, has_dictionary_ ? &dictionary_ : nullptr);
  } else {
    if (!header.data_page_header_v2) throw InvalidData("a v2 data page without its header");
    const DataPageHeaderV2& d = *header.data_page_header_v2;
    num_values = d.num_values;
    encoding = d.encoding;
    if (d.num_rows != d.num_values) {
      throw InvalidData("a flat column's v2 page holds {} rows but {} values", d.num_rows,
                        d.num_values);
    }
    page_bytes_.Resize(static_cast<size_t>(header.uncompressed_page_size));
    DecompressPage(header, page.data, *codec_, page_bytes_.span());
    std::span<const uint8_t> bytes = page_bytes_.span();
    // Some writers store an (all-zero) repetition level section even for flat columns.
    size_t rep = static_cast<size_t>(d.repetition_levels_byte_length);
    size_t def = static_cast<size_t>(d.definition_levels_byte_length);
    definition_levels_ =
        LevelDecoder::ForDataPageV2(column_.max_definition_level, bytes.subspan(rep, def));
    values_decoder_.Reset(encoding, bytes.subspan(rep + def),
                          has_dictionary_ ? &dictionary_ : nullptr);
  }
  if (num_values < 0) throw InvalidData("the page claims {} values", num_values);
  if (num_values > meta_->num_values - values_read_) {
    throw InvalidData("the page's {} values pass the chunk's {} values", num_values,
                      meta_->num_values);
  }
  page_left_ = num_values;
}

Array ColumnChunkReader::Read(int64_t max_rows) {
  try {
    if (options_.keep_dictionary && AtValue() && values_decoder_.dictionary_encoded()) {
      return ReadDictionaryBatch(max_rows);
    }
    appender_->Reserve(std::min(max_rows, meta_->num_values - values_read_));
    ReadInto(max_rows, /*indices=*/false);
    return appender_->Finish();
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

Array ColumnChunkReader::ReadDictionaryBatch(int64_t max_rows) {
  index_appender_->Reserve(std::min(max_rows, meta_->num_values - values_read_));
  const int64_t produced = ReadInto(max_rows, /*indices=*/true);
  Array head = Array::MakeDictionary(index_appender_->Finish(), DictionaryArray());
  if (produced == max_rows || !AtValue()) return head;
  // A page in another encoding (a writer's fallback from a full dictionary) ends the indices.
  appender_->Reserve(max_rows - produced);
  ReadInto(max_rows - produced, /*indices=*/false);
  const Array parts[] = {DecodeDictionary(head, options_.allocator), appender_->Finish()};
  return ConcatArrays(parts, options_.allocator);
}

const std::shared_ptr<const Array>& ColumnChunkReader::DictionaryArray() {
  if (dictionary_array_ == nullptr) {
    ColumnAppender values(
        ColumnType{Field{type_.field.name, type_.field.type, false}, type_.conversion},
        options_.allocator);
    const int64_t size = dictionary_.size();
    values.Append(dictionary_, nullptr, size, size);
    dictionary_array_ = std::make_shared<const Array>(values.Finish());
  }
  return dictionary_array_;
}

bool ColumnChunkReader::AtValue() {
  return selecting_ ? SeekSelected() > 0 : page_left_ > 0 || NextDataPage();
}

int64_t ColumnChunkReader::SeekSelected() {
  while (next_range_ < ranges_.size()) {
    const RowRange& range = ranges_[next_range_];
    if (values_read_ >= range.end) {
      ++next_range_;
    } else if (values_read_ < range.begin) {
      PassOver(range.begin);
      if (values_read_ < range.begin) return 0;  // the chunk ended first
    } else if (page_left_ > 0) {
      return range.end - values_read_;
    } else if (!NextDataPage(values_read_)) {
      return 0;
    }
  }
  return 0;
}

void ColumnChunkReader::PassOver(int64_t target) {
  while (values_read_ < target) {
    if (page_left_ == 0 && !NextDataPage(target)) return;
    if (values_read_ >= target) return;  // the next fetched page starts past it
    DiscardValues(std::min(page_left_, target - values_read_));
  }
}

int64_t ColumnChunkReader::DecodeValidity(int64_t count, const uint8_t** valid) {
  const int16_t max_level = column_.max_definition_level;
  *valid = nullptr;
  if (max_level == 0 || definition_levels_.SkipRun(max_level, count)) return count;
  const size_t bytes = static_cast<size_t>(BitmapBytes(count));
  if (valid_bits_.size() < bytes) valid_bits_.resize(bytes);
  if (definition_levels_.DecodeValidity(valid_bits_.data(), count) != count) {
    throw InvalidData("the page holds fewer definition levels than its values");
  }
  *valid = valid_bits_.data();
  return CountSetBits(valid_bits_.data(), 0, count);
}

void ColumnChunkReader::DiscardValues(int64_t count) {
  const uint8_t* valid;
  const int64_t present = DecodeValidity(count, &valid);
  values_.Clear();
  values_decoder_.Decode(present, &values_);
  page_left_ -= count;
  values_read_ += count;
}

int64_t ColumnChunkReader::ReadInto(int64_t max_rows, bool indices) {
  int64_t produced = 0;
  while (produced < max_rows) {
    int64_t want = max_rows - produced;
    if (selecting_) {
      const int64_t run = SeekSelected();
      if (run == 0) break;
      want = std::min(want, run);
    } else if (page_left_ == 0 && !NextDataPage()) {
      break;
    }
    if (indices && !values_decoder_.dictionary_encoded()) break;
    const int64_t count = std::min(page_left_, want);
    const uint8_t* valid;
    const int64_t present = DecodeValidity(count, &valid);
    if (indices) {
      auto* slots = reinterpret_cast<int32_t*>(index_appender_->FixedSlots(count));
      values_decoder_.DecodeDictionaryIndices(present, slots);
      index_appender_->CommitFixed(valid, count, present);
    } else {
      DecodeValuesInto(values_decoder_, *appender_, values_, fixed_values_, count, present, valid);
    }
    page_left_ -= count;
    values_read_ += count;
    produced += count;
  }
  return produced;
}

void ColumnChunkReader::CheckFullyRead() {
  try {
    if (selecting_) {
      PassOver(meta_->num_values);
      // The pages after the last one fetched hold the rest.
      if (fetched_subset_ && page_left_ == 0 && values_read_ <= meta_->num_values) {
        values_read_ = meta_->num_values;
      }
    }
    if (page_left_ == 0) NextDataPage();
    if (page_left_ > 0 || values_read_ != meta_->num_values) {
      throw InvalidData("the column chunk's pages hold {} values, its metadata says {}",
                        values_read_ + page_left_, meta_->num_values);
    }
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

}  // namespace sluice::parquet
