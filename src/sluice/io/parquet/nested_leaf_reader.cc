#include "sluice/io/parquet/nested_leaf_reader.h"

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_appender.h"
#include "sluice/io/parquet/leaf_page_steps.h"
#include "sluice/table/bitmap.h"

namespace sluice::parquet {

NestedLeafReader::NestedLeafReader(RandomAccessSource& source, const ParquetFooter& footer,
                                   int row_group, int column, int16_t slot_level,
                                   std::vector<int16_t> repeated_def,
                                   const ColumnReadOptions& options)
    : source_(source),
      footer_(footer),
      column_(footer.schema.columns().at(static_cast<size_t>(column))),
      column_index_(column),
      row_group_(row_group),
      slot_level_(slot_level),
      repeated_def_(std::move(repeated_def)),
      options_(options),
      type_([&] {
        try {
          return ResolveColumnType(column_, options.int96_unit);
        } catch (Error& error) {
          throw std::move(error.With("column", column_.DottedPath()).With("file", source.name()));
        }
      }()),
      values_decoder_(column_.physical_type, column_.type_length) {
  values_.width = PhysicalValueWidth(column_.physical_type, column_.type_length);
  appender_ = std::make_unique<ColumnAppender>(type_, options_.allocator);
  StartRowGroup(row_group);
}

NestedLeafReader::~NestedLeafReader() = default;

Error NestedLeafReader::AddContext(Error error) const {
  if (page_index_ >= 0) error.With("page", std::to_string(page_index_));
  error.With("column", column_.DottedPath());
  error.With("row_group", std::to_string(row_group_));
  error.With("file", source_.name());
  return error;
}

void NestedLeafReader::StartRowGroup(int row_group) {
  row_group_ = row_group;
  page_index_ = -1;
  has_dictionary_ = false;
  seen_data_page_ = false;
  page_rep_.clear();
  page_def_.clear();
  pos_ = 0;
  values_read_ = 0;
  previous_def_ = 0;
  if (appender_->length() > 0) appender_->Finish();
  try {
    meta_ = &*footer_.metadata.row_groups.at(static_cast<size_t>(row_group))
                  .columns.at(static_cast<size_t>(column_index_))
                  .meta_data;
    if (codec_ == nullptr || codec_->codec() != meta_->codec) codec_ = Codec::Make(meta_->codec);
    ColumnChunkRange range =
        ColumnChunkReadRange(*meta_, footer_.metadata, footer_.metadata_offset);
    chunk_.Resize(static_cast<size_t>(range.length));
    source_.ReadAt(range.start, chunk_.span());
    pages_.emplace(chunk_.span(), range.start, meta_->num_values);
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

bool NestedLeafReader::NextDataPage() {
  RawPage page;
  while (pages_->Next(&page)) {
    page_index_ = page.index;
    const PageHeader& header = page.header;
    CheckPage(header, page.data, options_);
    if (header.type == PageType::kDictionaryPage) {
      ReadDictionaryPage(page, column_, *codec_, has_dictionary_ || seen_data_page_, page_bytes_,
                         &dictionary_);
      has_dictionary_ = true;
    } else if (header.type == PageType::kDataPage || header.type == PageType::kDataPageV2) {
      seen_data_page_ = true;
      StartDataPage(page);
      if (!page_rep_.empty()) return true;
    }
  }
  return false;
}

void NestedLeafReader::StartDataPage(const RawPage& page) {
  const PageHeader& header = page.header;
  int32_t num_values;
  Encoding encoding;
  LevelDecoder rep;
  LevelDecoder def;
  page_bytes_.Resize(static_cast<size_t>(header.uncompressed_page_size));
  std::span<const uint8_t> values;
  if (header.type == PageType::kDataPage) {
    if (!header.data_page_header) throw InvalidData("a data page without a data page header");
    const DataPageHeader& d = *header.data_page_header;
    num_values = d.num_values;
    encoding = d.encoding;
    if (num_values < 0) throw InvalidData("the page claims {} values", num_values);
    DecompressPage(header, page.data, *codec_, page_bytes_.span());
    std::span<const uint8_t> bytes = page_bytes_.span();
    rep = LevelDecoder::ForDataPageV1(d.repetition_level_encoding, column_.max_repetition_level,
                                      num_values, bytes);
    bytes = bytes.subspan(rep.encoded_size());
    def = LevelDecoder::ForDataPageV1(d.definition_level_encoding, column_.max_definition_level,
                                      num_values, bytes);
    values = bytes.subspan(def.encoded_size());
  } else {
    if (!header.data_page_header_v2) throw InvalidData("a v2 data page without its header");
    const DataPageHeaderV2& d = *header.data_page_header_v2;
    num_values = d.num_values;
    encoding = d.encoding;
    if (num_values < 0) throw InvalidData("the page claims {} values", num_values);
    DecompressPage(header, page.data, *codec_, page_bytes_.span());
    std::span<const uint8_t> bytes = page_bytes_.span();
    auto rep_size = static_cast<size_t>(d.repetition_levels_byte_length);
    auto def_size = static_cast<size_t>(d.definition_levels_byte_length);
    if (rep_size + def_size > bytes.size()) {
      throw InvalidData("the v2 page's levels take {} bytes of its {}", rep_size + def_size,
                        bytes.size());
    }
    rep = LevelDecoder::ForDataPageV2(column_.max_repetition_level, bytes.subspan(0, rep_size));
    def = LevelDecoder::ForDataPageV2(column_.max_definition_level,
                                      bytes.subspan(rep_size, def_size));
    values = bytes.subspan(rep_size + def_size);
  }
  if (num_values > meta_->num_values - values_read_) {
    throw InvalidData("the page's {} values pass the chunk's {} values", num_values,
                      meta_->num_values);
  }
  page_rep_.resize(static_cast<size_t>(num_values));
  page_def_.resize(static_cast<size_t>(num_values));
  if (rep.Decode(page_rep_.data(), num_values) != num_values ||
      def.Decode(page_def_.data(), num_values) != num_values) {
    throw InvalidData("the page holds fewer levels than its {} values", num_values);
  }
  pos_ = 0;
  values_decoder_.Reset(encoding, values, has_dictionary_ ? &dictionary_ : nullptr);
}

void NestedLeafReader::Read(int64_t records, LeafRecords* out) {
  out->rep.clear();
  out->def.clear();
  try {
    int64_t started = 0;
    bool full = false;
    while (!full) {
      if (pos_ == static_cast<int64_t>(page_rep_.size()) && !NextDataPage()) break;
      auto end = static_cast<size_t>(pos_);
      for (; end < page_rep_.size(); ++end) {
        if (page_rep_[end] != 0) continue;
        if (started == records) {
          full = true;
          break;
        }
        ++started;
      }
      Take(static_cast<int64_t>(end), out);
    }
    out->values = appender_->Finish();
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

void NestedLeafReader::Take(int64_t end, LeafRecords* out) {
  const int64_t count = end - pos_;
  const int16_t max_def = column_.max_definition_level;
  valid_bits_.assign(static_cast<size_t>(BitmapBytes(count)), 0);
  int64_t slots = 0;
  int64_t present = 0;
  for (auto i = static_cast<size_t>(pos_); i < static_cast<size_t>(end); ++i) {
    const int16_t rep = page_rep_[i];
    const int16_t def = page_def_[i];
    if (values_read_ == 0 && i == static_cast<size_t>(pos_) && rep != 0) {
      throw InvalidData("the column chunk starts inside a record (repetition level {})", rep);
    }
    if (rep > 0 && def < repeated_def_[static_cast<size_t>(rep)]) {
      if (def == previous_def_) continue;  // DuckDB's padding of a null fixed-size array
      throw InvalidData(
          "level entry {} repeats the list at repetition level {} but its definition level {} "
          "says that list is null or empty",
          values_read_ + static_cast<int64_t>(i) - pos_, rep, def);
    }
    previous_def_ = def;
    out->rep.push_back(rep);
    out->def.push_back(def);
    if (def < slot_level_) continue;
    if (def == max_def) {
      SetBit(valid_bits_.data(), slots);
      ++present;
    }
    ++slots;
  }
  DecodeValuesInto(values_decoder_, *appender_, values_, fixed_values_, slots, present,
                   present == slots ? nullptr : valid_bits_.data());
  values_read_ += count;
  pos_ = end;
}

void NestedLeafReader::CheckFullyRead() {
  try {
    if (pos_ == static_cast<int64_t>(page_rep_.size())) NextDataPage();
    const int64_t left = static_cast<int64_t>(page_rep_.size()) - pos_;
    if (left > 0 || values_read_ != meta_->num_values) {
      throw InvalidData("the column chunk's pages hold {} values, its metadata says {}",
                        values_read_ + left, meta_->num_values);
    }
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

}  // namespace sluice::parquet
