#include "sluice/io/parquet/column_reader.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_appender.h"
#include "sluice/io/parquet/crc32.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/concat.h"
#include "sluice/table/dictionary.h"

namespace sluice::parquet {

ColumnChunkReader::ColumnChunkReader(RandomAccessSource& source, const ParquetFooter& footer,
                                     int row_group, int column, const ColumnReadOptions& options)
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
    values_.width = PhysicalValueWidth(column_.physical_type, column_.type_length);
    appender_ = std::make_unique<ColumnAppender>(type_, options_.allocator);
    if (options_.keep_dictionary) {
      ColumnType index_type{Field{type_.field.name, DataType::Int32(), type_.field.nullable}};
      index_appender_ = std::make_unique<ColumnAppender>(index_type, options_.allocator);
    }
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
  StartRowGroup(row_group);
}

void ColumnChunkReader::StartRowGroup(int row_group) {
  row_group_ = row_group;
  page_index_ = -1;
  pages_.reset();
  has_dictionary_ = false;
  dictionary_array_.reset();
  seen_data_page_ = false;
  page_left_ = 0;
  values_read_ = 0;
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
    chunk_.Resize(static_cast<size_t>(range.length));
    source_.ReadAt(range.start, chunk_.span());
    pages_.emplace(chunk_.span(), range.start, meta_->num_values);
  } catch (Error& error) {
    throw AddContext(std::move(error));
  }
}

ColumnChunkReader::~ColumnChunkReader() = default;

Error ColumnChunkReader::AddContext(Error error) const {
  if (page_index_ >= 0) error.With("page", std::to_string(page_index_));
  error.With("column", column_.DottedPath());
  error.With("row_group", std::to_string(row_group_));
  error.With("file", file_);
  return error;
}

bool ColumnChunkReader::NextDataPage() {
  RawPage page;
  while (pages_->Next(&page)) {
    page_index_ = page.index;
    const PageHeader& header = page.header;
    if (header.uncompressed_page_size > options_.max_page_size) {
      throw InvalidData("the page claims {} uncompressed bytes, more than the limit of {}",
                        header.uncompressed_page_size, options_.max_page_size);
    }
    if (options_.verify_crc) VerifyPageCrc(header, page.data);
    switch (header.type) {
      case PageType::kDictionaryPage: {
        if (!header.dictionary_page_header) {
          throw InvalidData("a dictionary page without a dictionary page header");
        }
        if (has_dictionary_ || seen_data_page_) {
          throw InvalidData("a second dictionary page, or one after the data pages");
        }
        const DictionaryPageHeader& dict = *header.dictionary_page_header;
        if (dict.encoding != Encoding::kPlain && dict.encoding != Encoding::kPlainDictionary) {
          throw InvalidData("a dictionary page in encoding {}", EncodingName(dict.encoding));
        }
        page_bytes_.Resize(static_cast<size_t>(header.uncompressed_page_size));
        DecompressPage(header, page.data, *codec_, page_bytes_.span());
        DecodeDictionaryPage(column_.physical_type, column_.type_length, page_bytes_.span(),
                             dict.num_values, &dictionary_);
        has_dictionary_ = true;
        break;
      }
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
    if (options_.keep_dictionary && (page_left_ > 0 || NextDataPage()) &&
        values_decoder_.dictionary_encoded()) {
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
  if (produced == max_rows || page_left_ == 0) return head;
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

int64_t ColumnChunkReader::ReadInto(int64_t max_rows, bool indices) {
  int64_t produced = 0;
  int16_t max_level = column_.max_definition_level;
  while (produced < max_rows) {
    if (page_left_ == 0 && !NextDataPage()) break;
    if (indices && !values_decoder_.dictionary_encoded()) break;
    int64_t count = std::min(page_left_, max_rows - produced);
    int64_t present = count;
    const uint8_t* valid = nullptr;
    if (max_level > 0 && !definition_levels_.SkipRun(max_level, count)) {
      valid_bits_.resize(static_cast<size_t>(BitmapBytes(count)));
      if (definition_levels_.DecodeValidity(valid_bits_.data(), count) != count) {
        throw InvalidData("the page holds fewer definition levels than its values");
      }
      present = CountSetBits(valid_bits_.data(), 0, count);
      valid = valid_bits_.data();
    }
    if (indices) {
      auto* slots = reinterpret_cast<int32_t*>(index_appender_->FixedSlots(count));
      values_decoder_.DecodeDictionaryIndices(present, slots);
      index_appender_->CommitFixed(valid, count, present);
    } else {
      ReadValues(count, present, valid);
    }
    page_left_ -= count;
    values_read_ += count;
    produced += count;
  }
  return produced;
}

void ColumnChunkReader::ReadValues(int64_t count, int64_t present, const uint8_t* valid) {
  if (appender_->direct_fixed()) {
    values_decoder_.DecodeFixed(present, appender_->FixedSlots(count));
    appender_->CommitFixed(valid, count, present);
  } else if (appender_->direct_binary()) {
    int32_t* ends;
    BufferBuilder* data;
    appender_->BinarySlots(count, &ends, &data);
    values_decoder_.DecodeBinary(present, ends, data);
    appender_->CommitBinary(valid, count, present);
  } else if (values_.width > 0) {
    uint8_t* fixed = fixed_values_.Resize(static_cast<size_t>(present * values_.width));
    values_decoder_.DecodeFixed(present, fixed);
    appender_->AppendFixedValues(fixed, values_.width, valid, count, present);
  } else {
    values_.Clear();
    values_decoder_.Decode(present, &values_);
    appender_->Append(values_, valid, count, present);
  }
}

void ColumnChunkReader::CheckFullyRead() {
  try {
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
