#include "sluice/io/parquet/column_chunk_writer.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"
#include "sluice/io/parquet/crc32.h"
#include "sluice/io/parquet/dictionary_encoder.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/nested_levels.h"
#include "sluice/io/parquet/page_header.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"
#include "sluice/io/parquet/writer_statistics.h"

namespace sluice::parquet {
namespace {

template <typename T>
void AppendRaw(std::vector<uint8_t>* out, T value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

// Big-endian two's complement in `width` (<= 16) bytes.
void StoreDecimalBigEndian(Decimal128 value, int32_t width, uint8_t* out) {
  uint64_t be[2] = {__builtin_bswap64(static_cast<uint64_t>(value.high)),
                    __builtin_bswap64(value.low)};
  std::memcpy(out, reinterpret_cast<const uint8_t*>(be) + (16 - width), static_cast<size_t>(width));
}

void AppendDecimalBigEndian(Decimal128 value, int32_t width, std::vector<uint8_t>* out) {
  size_t start = out->size();
  out->resize(start + static_cast<size_t>(width));
  if (width <= 16) {
    StoreDecimalBigEndian(value, width, out->data() + start);
    return;
  }
  unsigned __int128 bits = static_cast<unsigned __int128>(value.ToInt128());
  for (int32_t i = width - 1; i >= 0; --i) {
    (*out)[start + static_cast<size_t>(i)] =
        i >= width - 16 ? static_cast<uint8_t>(bits) : (value.high < 0 ? 0xff : 0);
    if (i >= width - 16) bits >>= 8;
  }
}

void AppendValue(const WriterColumn& column, const Array& array, int64_t i, PhysicalValues* out) {
  const DataType& type = array.type();
  switch (column.conversion) {
    case WriteConversion::kNone:
      break;
    case WriteConversion::kWidenSigned:
      AppendRaw<int32_t>(&out->fixed, type.id() == TypeId::kInt8 ? array.Value<int8_t>(i)
                                                                 : array.Value<int16_t>(i));
      return;
    case WriteConversion::kWidenUnsigned:
      AppendRaw<int32_t>(&out->fixed, type.id() == TypeId::kUInt8 ? array.Value<uint8_t>(i)
                                                                  : array.Value<uint16_t>(i));
      return;
    case WriteConversion::kSecondsToMillis:
      AppendRaw<int64_t>(&out->fixed, static_cast<int64_t>(
                                          static_cast<uint64_t>(array.Value<int64_t>(i)) * 1000u));
      return;
    case WriteConversion::kDecimalToInt32:
      AppendRaw<int32_t>(&out->fixed, static_cast<int32_t>(array.Value<Decimal128>(i).low));
      return;
    case WriteConversion::kDecimalToInt64:
      AppendRaw<int64_t>(&out->fixed, static_cast<int64_t>(array.Value<Decimal128>(i).low));
      return;
    case WriteConversion::kDecimalToFixed:
      AppendDecimalBigEndian(array.Value<Decimal128>(i), column.type_length, &out->fixed);
      return;
  }
  switch (type.layout()) {
    case Layout::kBitmap:
      out->fixed.push_back(array.BoolValue(i) ? 1 : 0);
      return;
    case Layout::kVariableBinary:
      out->binary.Append(array.BinaryValue(i));
      return;
    case Layout::kFixedWidth: {
      const uint8_t* p = array.raw_values() + (array.offset() + i) * type.byte_width();
      out->fixed.insert(out->fixed.end(), p, p + type.byte_width());
      return;
    }
    case Layout::kNested:
      throw InternalError("a leaf column of type {}", type.ToString());
  }
}

// Appends the present values of `array` (no conversion, fixed width) by copying them whole.
void AppendFixedAsStored(const Array& array, PhysicalValues* out) {
  int64_t width = array.type().byte_width();
  const uint8_t* p = array.raw_values() + array.offset() * width;
  int64_t n = array.length();
  if (array.null_count() == 0) {
    out->fixed.insert(out->fixed.end(), p, p + n * width);
    return;
  }
  size_t start = out->fixed.size();
  out->fixed.resize(start + static_cast<size_t>((n - array.null_count()) * width));
  uint8_t* dst = out->fixed.data() + start;
  for (int64_t i = 0; i < n; ++i) {
    if (!array.IsValid(i)) continue;
    std::memcpy(dst, p + i * width, static_cast<size_t>(width));
    dst += width;
  }
}

// Appends the present values of a string/binary array: one copy of the bytes when it has no
// nulls.
void AppendBinaryAsStored(const Array& array, PhysicalValues* out) {
  int64_t n = array.length();
  if (array.null_count() != 0) {
    for (int64_t i = 0; i < n; ++i) {
      if (array.IsValid(i)) out->binary.Append(array.BinaryValue(i));
    }
    return;
  }
  const int32_t* offsets = array.raw_offsets() + array.offset();
  ByteArrayBuffer& binary = out->binary;
  int64_t base = static_cast<int64_t>(binary.data.size());
  int64_t bytes = offsets[n] - offsets[0];
  if (base + bytes > std::numeric_limits<int32_t>::max()) {
    throw ResourceExhausted(
        "a column chunk holds more than 2 GiB of bytes; use smaller row groups");
  }
  binary.data.insert(binary.data.end(), array.raw_data() + offsets[0],
                     array.raw_data() + offsets[n]);
  size_t start = binary.offsets.size();
  binary.offsets.resize(start + static_cast<size_t>(n));
  int32_t shift = static_cast<int32_t>(base) - offsets[0];
  for (int64_t i = 0; i < n; ++i)
    binary.offsets[start + static_cast<size_t>(i)] = offsets[i + 1] + shift;
}

// Appends the present values of a boolean array, one byte (0 or 1) each, straight from its
// bitmap rather than through AppendValue's per-value dispatch.
void AppendBooleansAsStored(const Array& array, PhysicalValues* out) {
  const int64_t n = array.length();
  const size_t start = out->fixed.size();
  out->fixed.resize(start + static_cast<size_t>(n - array.null_count()));
  uint8_t* dst = out->fixed.data() + start;
  const uint8_t* bits = array.raw_values();
  for (int64_t i = 0, bit = array.offset(); i < n; ++i, ++bit) {
    if (array.IsValid(i)) *dst++ = (bits[bit >> 3] >> (bit & 7)) & 1;
  }
}

void AppendDecimalsToFixed(const WriterColumn& column, const Array& array, PhysicalValues* out) {
  int32_t width = column.type_length;
  int64_t n = array.length();
  if (width > 16) {
    for (int64_t i = 0; i < n; ++i) {
      if (array.IsValid(i)) AppendValue(column, array, i, out);
    }
    return;
  }
  size_t start = out->fixed.size();
  out->fixed.resize(start + static_cast<size_t>((n - array.null_count()) * width));
  uint8_t* dst = out->fixed.data() + start;
  for (int64_t i = 0; i < n; ++i) {
    if (!array.IsValid(i)) continue;
    StoreDecimalBigEndian(array.Value<Decimal128>(i), width, dst);
    dst += width;
  }
}

void Gather(const WriterColumn& column, std::span<const Array> pieces, PhysicalColumn* result) {
  result->rows = 0;
  result->values.width = PhysicalValueWidth(column.physical_type, column.type_length);
  result->values.Clear();
  int64_t rows = 0;
  int64_t present = 0;
  int64_t bytes = 0;
  for (const Array& array : pieces) {
    if (!column.nullable && array.null_count() > 0) {
      throw InvalidArgument("a non-nullable column holds {} nulls", array.null_count());
    }
    rows += array.length();
    present += array.length() - array.null_count();
    if (array.type().layout() == Layout::kVariableBinary) {
      const int32_t* offsets = array.raw_offsets() + array.offset();
      bytes += offsets[array.length()] - offsets[0];
    }
  }
  if (result->values.width > 0) {
    result->values.fixed.reserve(static_cast<size_t>(present * result->values.width));
  } else {
    result->values.binary.data.reserve(static_cast<size_t>(bytes));
    result->values.binary.offsets.reserve(static_cast<size_t>(present + 1));
  }
  // A flat chunk without nulls keeps no levels: its pages' levels are one run of 1s.
  const bool keep_levels = column.nullable && present < rows;
  result->levels.resize(keep_levels ? static_cast<size_t>(rows) : 0);
  for (const Array& array : pieces) {
    int64_t n = array.length();
    const DataType& type = array.type();
    if (column.conversion == WriteConversion::kNone && type.is_fixed_width() &&
        type.layout() == Layout::kFixedWidth) {
      AppendFixedAsStored(array, &result->values);
    } else if (column.conversion == WriteConversion::kNone &&
               type.layout() == Layout::kVariableBinary) {
      AppendBinaryAsStored(array, &result->values);
    } else if (column.conversion == WriteConversion::kNone && type.layout() == Layout::kBitmap) {
      AppendBooleansAsStored(array, &result->values);
    } else if (column.conversion == WriteConversion::kDecimalToFixed) {
      AppendDecimalsToFixed(column, array, &result->values);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        if (array.IsValid(i)) AppendValue(column, array, i, &result->values);
      }
    }
    if (keep_levels) {
      int16_t* levels = result->levels.data() + result->rows;
      if (array.null_count() == 0) {
        std::fill_n(levels, n, int16_t{1});
      } else {
        for (int64_t i = 0; i < n; ++i) levels[i] = array.IsValid(i) ? 1 : 0;
      }
    }
    result->rows += n;
  }
}

// A nested leaf's levels and present values from its top-level field's arrays.
void GatherNested(const WriterColumn& column, std::span<const Array> pieces,
                  PhysicalColumn* result) {
  result->values.width = PhysicalValueWidth(column.physical_type, column.type_length);
  result->values.Clear();
  LeafLevels levels;
  for (const Array& array : pieces) {
    levels.present.clear();
    AppendLeafLevels(array, column.field_nullable, column, &levels);
    const Array& leaf = LeafArray(array, column);
    for (int64_t i : levels.present) AppendValue(column, leaf, i, &result->values);
  }
  result->rows = static_cast<int64_t>(levels.def.size());
  result->levels = std::move(levels.def);
  result->rep_levels = std::move(levels.rep);
}

// The entry where the page starting at `row` with about `rows` entries ends: at a record
// boundary (the next repetition level 0) when the column repeats.
int64_t PageEnd(const PhysicalColumn& data, int64_t row, int64_t rows) {
  int64_t end = row + rows;
  if (data.rep_levels.empty()) return end;
  while (end < data.rows && data.rep_levels[static_cast<size_t>(end)] != 0) ++end;
  return end;
}

// PLAIN bytes of values [begin, end).
void EncodePlain(PhysicalType type, const PhysicalValues& values, int64_t begin, int64_t end,
                 std::vector<uint8_t>* out) {
  if (type == PhysicalType::kBoolean) {
    PlainEncodeBooleans(std::span(values.fixed).subspan(begin, end - begin), out);
  } else if (values.width == 0) {
    const int32_t* offsets = values.binary.offsets.data();
    size_t start = out->size();
    out->resize(start + static_cast<size_t>(offsets[end] - offsets[begin] + 4 * (end - begin)));
    uint8_t* dst = out->data() + start;
    const uint8_t* data = values.binary.data.data();
    for (int64_t i = begin; i < end; ++i) {
      uint32_t length = static_cast<uint32_t>(offsets[i + 1] - offsets[i]);
      std::memcpy(dst, &length, 4);
      std::memcpy(dst + 4, data + offsets[i], length);
      dst += 4 + length;
    }
  } else {
    out->insert(out->end(), values.fixed.begin() + begin * values.width,
                values.fixed.begin() + end * values.width);
  }
}

// RLE definition levels (max level 1) of `count` present values: one repeated run of 1s.
void EncodeAllPresentLevels(int64_t count, std::vector<uint8_t>* out) {
  for (uint64_t header = static_cast<uint64_t>(count) << 1;; header >>= 7) {
    if (header < 0x80) {
      out->push_back(static_cast<uint8_t>(header));
      break;
    }
    out->push_back(static_cast<uint8_t>(header | 0x80));
  }
  out->push_back(1);
}

// RLE definition levels (max level 1) of one page; a page without nulls is one repeated run.
void EncodePageLevels(std::span<const int16_t> levels, int64_t present, std::vector<uint8_t>* out) {
  if (present == static_cast<int64_t>(levels.size())) {
    EncodeAllPresentLevels(present, out);
    return;
  }
  EncodeLevelsRle(levels, 1, out);
}

}  // namespace

void ColumnChunkWriter::EmitPage(PageHeader header, size_t raw_prefix, Codec& codec, bool crc,
                                 std::vector<uint8_t>* out, int64_t* compressed_total,
                                 int64_t* uncompressed_total) {
  std::span<const uint8_t> rest = std::span(body_).subspan(raw_prefix);
  std::span<const uint8_t> stored_rest = rest;
  if (codec.codec() != CompressionCodec::kUncompressed && !rest.empty()) {
    size_t capacity = codec.MaxCompressedSize(rest.size());
    uint8_t* compressed = compressed_.Resize(capacity);
    stored_rest = {compressed, codec.Compress(rest, {compressed, capacity})};
  }
  size_t stored_size = raw_prefix + stored_rest.size();
  header.uncompressed_page_size = static_cast<int32_t>(body_.size());
  header.compressed_page_size = static_cast<int32_t>(stored_size);
  if (crc) {
    std::vector<uint8_t> stored(body_.begin(), body_.begin() + static_cast<ptrdiff_t>(raw_prefix));
    stored.insert(stored.end(), stored_rest.begin(), stored_rest.end());
    header.crc = static_cast<int32_t>(Crc32(stored));
  }
  size_t start = out->size();
  EncodePageHeader(header, out);
  int64_t header_size = static_cast<int64_t>(out->size() - start);
  out->insert(out->end(), body_.begin(), body_.begin() + static_cast<ptrdiff_t>(raw_prefix));
  out->insert(out->end(), stored_rest.begin(), stored_rest.end());
  *compressed_total += header_size + static_cast<int64_t>(stored_size);
  *uncompressed_total += header_size + static_cast<int64_t>(body_.size());
}

ColumnChunk ColumnChunkWriter::Write(const WriterColumn& column, std::span<const Array> pieces,
                                     const ColumnWriteOptions& options, Codec& codec,
                                     int64_t file_offset, std::vector<uint8_t>* out,
                                     ColumnPageIndex* page_index) {
  PhysicalColumn& data = data_;
  data.rep_levels.clear();
  if (column.nested()) {
    GatherNested(column, pieces, &data);
  } else {
    Gather(column, pieces, &data);
  }
  const int16_t max_def = column.nested() ? column.max_definition_level : column.nullable ? 1 : 0;
  const int16_t max_rep = column.max_repetition_level;
  ColumnMetaData meta;
  meta.type = column.physical_type;
  meta.path_in_schema = column.nested() ? column.path : std::vector{column.element.name};
  meta.codec = codec.codec();
  meta.num_values = data.rows;

  std::vector<uint32_t>& indices = indices_;
  PhysicalValues& dictionary = dictionary_;
  bool use_dictionary =
      options.dictionary && column.physical_type != PhysicalType::kBoolean &&
      data.values.size() > 0 &&
      BuildDictionary(data.values, options.dictionary_size_limit, &indices, &dictionary);
  if (options.statistics) {
    // Over the dictionary when there is one: the same distinct values, fewer of them.
    const PhysicalValues& distinct = use_dictionary ? dictionary : data.values;
    meta.statistics =
        ComputeStatistics(column, distinct, 0, distinct.size(), data.rows - data.values.size());
  }
  size_t start = out->size();
  int64_t compressed_total = 0;
  int64_t uncompressed_total = 0;
  if (use_dictionary) {
    meta.dictionary_page_offset = file_offset;
    body_.clear();
    EncodePlain(column.physical_type, dictionary, 0, dictionary.size(), &body_);
    PageHeader header;
    header.type = PageType::kDictionaryPage;
    header.dictionary_page_header =
        DictionaryPageHeader{static_cast<int32_t>(dictionary.size()), Encoding::kPlain, {}};
    EmitPage(header, 0, codec, options.page_crc, out, &compressed_total, &uncompressed_total);
    meta.encoding_stats.push_back({PageType::kDictionaryPage, Encoding::kPlain, 1});
  }
  meta.data_page_offset = file_offset + static_cast<int64_t>(out->size() - start);
  Encoding encoding = use_dictionary ? Encoding::kRleDictionary : Encoding::kPlain;
  int bit_width = use_dictionary ? std::max(1, BitWidthOf(dictionary.size() - 1)) : 0;

  // Rows per page from the average encoded row size.
  int64_t value_bytes =
      use_dictionary ? (data.values.size() * bit_width + 7) / 8
      : data.values.width == 0
          ? static_cast<int64_t>(data.values.binary.data.size()) + 4 * data.values.size()
          : static_cast<int64_t>(data.values.fixed.size());
  int64_t row_bytes = std::max<int64_t>(1, value_bytes / std::max<int64_t>(1, data.rows));
  int64_t page_rows = std::clamp<int64_t>(options.page_size / row_bytes, 1, 1 << 20);
  int32_t pages = 0;
  int64_t value_begin = 0;
  std::vector<uint8_t>& levels = levels_;
  if (page_index != nullptr) page_index_.Reset(column);
  int64_t record = 0;  // the page's first row (record)
  for (int64_t row = 0; row < data.rows || (data.rows == 0 && pages == 0);) {
    int64_t rows = PageEnd(data, row, std::min(page_rows, data.rows - row)) - row;
    int64_t present = rows;
    int64_t records = rows;
    levels.clear();
    rep_bytes_.clear();
    if (max_rep > 0) {
      std::span<const int16_t> slice = std::span(data.rep_levels).subspan(row, rows);
      records = std::count(slice.begin(), slice.end(), 0);
      EncodeLevelsRle(slice, max_rep, &rep_bytes_);
    }
    if (max_def > 0 && !column.nested() && data.levels.empty()) {
      EncodeAllPresentLevels(rows, &levels);  // a flat chunk without nulls (see Gather)
    } else if (max_def > 0) {
      std::span<const int16_t> slice = std::span(data.levels).subspan(row, rows);
      present = std::count(slice.begin(), slice.end(), max_def);
      if (max_def == 1) {
        EncodePageLevels(slice, present, &levels);
      } else {
        EncodeLevelsRle(slice, max_def, &levels);
      }
    }
    body_.clear();
    if (options.data_page_v2) {
      body_ = rep_bytes_;
      body_.insert(body_.end(), levels.begin(), levels.end());
    } else {
      if (max_rep > 0) AppendLengthPrefixed(rep_bytes_, &body_);
      if (max_def > 0) AppendLengthPrefixed(levels, &body_);
    }
    size_t raw_prefix = options.data_page_v2 ? body_.size() : 0;
    if (use_dictionary) {
      body_.push_back(static_cast<uint8_t>(bit_width));
      RleBitPackedEncode(std::span(indices).subspan(value_begin, present), bit_width, &body_);
    } else {
      EncodePlain(column.physical_type, data.values, value_begin, value_begin + present, &body_);
    }
    PageHeader header;
    if (options.data_page_v2) {
      header.type = PageType::kDataPageV2;
      DataPageHeaderV2 v2;
      v2.num_values = static_cast<int32_t>(rows);
      v2.num_nulls = static_cast<int32_t>(rows - present);
      v2.num_rows = static_cast<int32_t>(records);
      v2.encoding = encoding;
      v2.repetition_levels_byte_length = static_cast<int32_t>(rep_bytes_.size());
      v2.definition_levels_byte_length = static_cast<int32_t>(levels.size());
      v2.is_compressed = codec.codec() != CompressionCodec::kUncompressed;
      header.data_page_header_v2 = v2;
    } else {
      header.type = PageType::kDataPage;
      DataPageHeader v1;
      v1.num_values = static_cast<int32_t>(rows);
      v1.encoding = encoding;
      header.data_page_header = v1;
    }
    size_t page_start = out->size();
    EmitPage(header, raw_prefix, codec, options.page_crc, out, &compressed_total,
             &uncompressed_total);
    if (page_index != nullptr) {
      PageLocation location;
      location.offset = file_offset + static_cast<int64_t>(page_start - start);
      location.compressed_page_size = static_cast<int32_t>(out->size() - page_start);
      location.first_row_index = record;
      int64_t value_end = value_begin + present;
      // A page holding the whole chunk has the chunk's statistics, computed over the same values
      // (or their distinct entries): no second pass over them.
      const bool whole_chunk = row == 0 && rows == data.rows && meta.statistics.has_value();
      Statistics stats =
          whole_chunk ? *meta.statistics
          : use_dictionary && StatisticsByDictionaryEntry(column, dictionary.size(), present)
              ? ComputeDictionaryPageStatistics(column, dictionary,
                                                std::span(indices).subspan(value_begin, present),
                                                rows - present, &seen_entries_)
              : ComputeStatistics(column, data.values, value_begin, value_end, rows - present);
      page_index_.AddPage(location, std::move(stats), present,
                          CountNaN(column, data.values, value_begin, value_end));
    }
    ++pages;
    value_begin += present;
    row += rows;
    record += records;
    if (data.rows == 0) break;
  }
  meta.encoding_stats.push_back(
      {options.data_page_v2 ? PageType::kDataPageV2 : PageType::kDataPage, encoding, pages});
  meta.encodings = {Encoding::kPlain, Encoding::kRle};
  if (use_dictionary) meta.encodings.push_back(Encoding::kRleDictionary);
  meta.total_compressed_size = compressed_total;
  meta.total_uncompressed_size = uncompressed_total;
  if (page_index != nullptr) *page_index = page_index_.Finish();

  ColumnChunk chunk;
  chunk.file_offset = file_offset;
  chunk.meta_data = std::move(meta);
  return chunk;
}

ColumnChunk WriteColumnChunk(const WriterColumn& column, std::span<const Array> pieces,
                             const ColumnWriteOptions& options, Codec& codec, int64_t file_offset,
                             std::vector<uint8_t>* out, ColumnPageIndex* page_index) {
  ColumnChunkWriter writer;
  return writer.Write(column, pieces, options, codec, file_offset, out, page_index);
}

}  // namespace sluice::parquet
