#include "sluice/io/parquet/column_chunk_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"
#include "sluice/io/parquet/crc32.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/page_header.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"

namespace sluice::parquet {
namespace {

// The column's values in physical form: definition levels (when nullable) and the non-null
// values.
struct PhysicalColumn {
  int64_t rows = 0;
  std::vector<int16_t> levels;
  PhysicalValues values;
};

template <typename T>
void AppendRaw(std::vector<uint8_t>* out, T value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

void AppendDecimalBigEndian(Decimal128 value, int32_t width, std::vector<uint8_t>* out) {
  unsigned __int128 bits = static_cast<unsigned __int128>(value.ToInt128());
  size_t start = out->size();
  out->resize(start + static_cast<size_t>(width));
  for (int32_t i = width - 1; i >= 0; --i) {
    (*out)[start + static_cast<size_t>(i)] = static_cast<uint8_t>(bits);
    bits >>= 8;
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
      std::string_view v = array.BinaryValue(i);  // fixed-size binary, or the value's bytes below
      if (type.id() != TypeId::kFixedSizeBinary) {
        const uint8_t* p = array.raw_values() + (array.offset() + i) * type.byte_width();
        out->fixed.insert(out->fixed.end(), p, p + type.byte_width());
      } else {
        out->fixed.insert(out->fixed.end(), v.begin(), v.end());
      }
      return;
    }
  }
}

PhysicalColumn Gather(const WriterColumn& column, std::span<const Array> pieces) {
  PhysicalColumn result;
  result.values.width = PhysicalValueWidth(column.physical_type, column.type_length);
  for (const Array& array : pieces) {
    int64_t n = array.length();
    if (!column.nullable && array.null_count() > 0) {
      throw InvalidArgument("a non-nullable column holds {} nulls", array.null_count());
    }
    // Fast path: fixed-width values stored as they are, without nulls.
    if (column.conversion == WriteConversion::kNone && array.null_count() == 0 &&
        array.type().is_fixed_width() && array.type().id() != TypeId::kFixedSizeBinary) {
      int64_t width = array.type().byte_width();
      const uint8_t* p = array.raw_values() + array.offset() * width;
      result.values.fixed.insert(result.values.fixed.end(), p, p + n * width);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        if (array.IsValid(i)) AppendValue(column, array, i, &result.values);
      }
    }
    if (column.nullable) {
      for (int64_t i = 0; i < n; ++i) result.levels.push_back(array.IsValid(i) ? 1 : 0);
    }
    result.rows += n;
  }
  return result;
}

std::string_view ValueBytes(const PhysicalValues& values, int64_t i) {
  if (values.width == 0) return values.binary[static_cast<size_t>(i)];
  return {reinterpret_cast<const char*>(values.fixed.data()) + i * values.width,
          static_cast<size_t>(values.width)};
}

// Negative, zero or positive as a sorts before, with or after b.
int Compare(const WriterColumn& column, std::string_view a, std::string_view b) {
  auto three_way = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  auto load = [](auto* value, std::string_view bytes) {
    std::memcpy(value, bytes.data(), sizeof(*value));
  };
  switch (column.physical_type) {
    case PhysicalType::kBoolean:
      return three_way(a[0], b[0]);
    case PhysicalType::kInt32: {
      int32_t x, y;
      load(&x, a);
      load(&y, b);
      return column.sort_order == SortOrder::kUnsigned
                 ? three_way(static_cast<uint32_t>(x), static_cast<uint32_t>(y))
                 : three_way(x, y);
    }
    case PhysicalType::kInt64: {
      int64_t x, y;
      load(&x, a);
      load(&y, b);
      return column.sort_order == SortOrder::kUnsigned
                 ? three_way(static_cast<uint64_t>(x), static_cast<uint64_t>(y))
                 : three_way(x, y);
    }
    case PhysicalType::kFloat: {
      float x, y;
      load(&x, a);
      load(&y, b);
      return three_way(x, y);
    }
    case PhysicalType::kDouble: {
      double x, y;
      load(&x, a);
      load(&y, b);
      return three_way(x, y);
    }
    default: {
      // Signed byte order (decimals): the sign byte decides first.
      if (column.sort_order == SortOrder::kSigned && !a.empty() && !b.empty()) {
        int sign = three_way(static_cast<int8_t>(a[0]), static_cast<int8_t>(b[0]));
        if (sign != 0) return sign;
      }
      int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
      if (c != 0) return c;
      return three_way(a.size(), b.size());
    }
  }
}

bool IsNan(const WriterColumn& column, std::string_view v) {
  if (column.physical_type == PhysicalType::kFloat) {
    float x;
    std::memcpy(&x, v.data(), 4);
    return std::isnan(x);
  }
  if (column.physical_type == PhysicalType::kDouble) {
    double x;
    std::memcpy(&x, v.data(), 8);
    return std::isnan(x);
  }
  return false;
}

// Floats: a zero minimum is written as -0.0 and a zero maximum as +0.0 (parquet-format's rule).
std::string ZeroSigned(const WriterColumn& column, std::string_view v, bool negative) {
  std::string out(v);
  if (column.physical_type == PhysicalType::kFloat) {
    float x;
    std::memcpy(&x, v.data(), 4);
    if (x == 0.0f) x = negative ? -0.0f : 0.0f;
    std::memcpy(out.data(), &x, 4);
  } else if (column.physical_type == PhysicalType::kDouble) {
    double x;
    std::memcpy(&x, v.data(), 8);
    if (x == 0.0) x = negative ? -0.0 : 0.0;
    std::memcpy(out.data(), &x, 8);
  }
  return out;
}

Statistics ComputeStatistics(const WriterColumn& column, const PhysicalColumn& data) {
  Statistics stats;
  stats.null_count = data.rows - data.values.size();
  int64_t min = -1;
  int64_t max = -1;
  int64_t n = data.values.size();
  for (int64_t i = 0; i < n; ++i) {
    std::string_view v = ValueBytes(data.values, i);
    if (IsNan(column, v)) continue;
    if (min < 0 || Compare(column, v, ValueBytes(data.values, min)) < 0) min = i;
    if (max < 0 || Compare(column, v, ValueBytes(data.values, max)) > 0) max = i;
  }
  if (min >= 0) {
    stats.min_value = ZeroSigned(column, ValueBytes(data.values, min), true);
    stats.max_value = ZeroSigned(column, ValueBytes(data.values, max), false);
    stats.is_min_value_exact = true;
    stats.is_max_value_exact = true;
  }
  return stats;
}

// Dictionary indices per value and the dictionary's values, or false when it grew too large.
bool BuildDictionary(const PhysicalValues& values, int64_t size_limit,
                     std::vector<uint32_t>* indices, PhysicalValues* dictionary) {
  std::unordered_map<std::string_view, uint32_t> positions;
  dictionary->width = values.width;
  int64_t bytes = 0;
  int64_t n = values.size();
  indices->resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::string_view v = ValueBytes(values, i);
    auto [it, inserted] = positions.emplace(v, static_cast<uint32_t>(positions.size()));
    if (inserted) {
      bytes += static_cast<int64_t>(v.size()) + (values.width == 0 ? 4 : 0);
      if (bytes > size_limit) return false;
      if (values.width == 0) {
        dictionary->binary.Append(v);
      } else {
        dictionary->fixed.insert(dictionary->fixed.end(), v.begin(), v.end());
      }
    }
    (*indices)[static_cast<size_t>(i)] = it->second;
  }
  return true;
}

// PLAIN bytes of values [begin, end).
void EncodePlain(PhysicalType type, const PhysicalValues& values, int64_t begin, int64_t end,
                 std::vector<uint8_t>* out) {
  if (type == PhysicalType::kBoolean) {
    PlainEncodeBooleans(std::span(values.fixed).subspan(begin, end - begin), out);
  } else if (values.width == 0) {
    for (int64_t i = begin; i < end; ++i) {
      std::string_view v = values.binary[static_cast<size_t>(i)];
      AppendRaw<uint32_t>(out, static_cast<uint32_t>(v.size()));
      out->insert(out->end(), v.begin(), v.end());
    }
  } else {
    out->insert(out->end(), values.fixed.begin() + begin * values.width,
                values.fixed.begin() + end * values.width);
  }
}

struct ChunkSizes {
  int64_t compressed = 0;
  int64_t uncompressed = 0;
};

// Compresses `body` (its first `raw_prefix` bytes stay uncompressed, for v2 levels), writes
// header and page to `out`.
void EmitPage(PageHeader header, const std::vector<uint8_t>& body, size_t raw_prefix, Codec& codec,
              bool crc, std::vector<uint8_t>* out, ChunkSizes* sizes) {
  std::vector<uint8_t> stored(body.begin(), body.begin() + static_cast<ptrdiff_t>(raw_prefix));
  std::span<const uint8_t> rest = std::span(body).subspan(raw_prefix);
  if (codec.codec() == CompressionCodec::kUncompressed || rest.empty()) {
    stored.insert(stored.end(), rest.begin(), rest.end());
  } else {
    codec.CompressAppend(rest, &stored);
  }
  header.uncompressed_page_size = static_cast<int32_t>(body.size());
  header.compressed_page_size = static_cast<int32_t>(stored.size());
  if (crc) header.crc = static_cast<int32_t>(Crc32(stored));
  size_t start = out->size();
  EncodePageHeader(header, out);
  int64_t header_size = static_cast<int64_t>(out->size() - start);
  out->insert(out->end(), stored.begin(), stored.end());
  sizes->compressed += header_size + static_cast<int64_t>(stored.size());
  sizes->uncompressed += header_size + static_cast<int64_t>(body.size());
}

}  // namespace

ColumnChunk WriteColumnChunk(const WriterColumn& column, std::span<const Array> pieces,
                             const ColumnWriteOptions& options, Codec& codec, int64_t file_offset,
                             std::vector<uint8_t>* out) {
  PhysicalColumn data = Gather(column, pieces);
  ColumnMetaData meta;
  meta.type = column.physical_type;
  meta.path_in_schema = {column.element.name};
  meta.codec = codec.codec();
  meta.num_values = data.rows;
  if (options.statistics) meta.statistics = ComputeStatistics(column, data);

  std::vector<uint32_t> indices;
  PhysicalValues dictionary;
  bool use_dictionary =
      options.dictionary && column.physical_type != PhysicalType::kBoolean &&
      data.values.size() > 0 &&
      BuildDictionary(data.values, options.dictionary_size_limit, &indices, &dictionary);
  size_t start = out->size();
  ChunkSizes sizes;
  std::vector<uint8_t> body;
  if (use_dictionary) {
    meta.dictionary_page_offset = file_offset;
    EncodePlain(column.physical_type, dictionary, 0, dictionary.size(), &body);
    PageHeader header;
    header.type = PageType::kDictionaryPage;
    header.dictionary_page_header =
        DictionaryPageHeader{static_cast<int32_t>(dictionary.size()), Encoding::kPlain, {}};
    EmitPage(header, body, 0, codec, options.page_crc, out, &sizes);
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
  std::vector<uint8_t> levels;
  for (int64_t row = 0; row < data.rows || (data.rows == 0 && pages == 0);) {
    int64_t rows = std::min(page_rows, data.rows - row);
    int64_t present = rows;
    levels.clear();
    if (column.nullable) {
      std::span<const int16_t> slice = std::span(data.levels).subspan(row, rows);
      present = std::count(slice.begin(), slice.end(), 1);
      EncodeLevelsRle(slice, 1, &levels);
    }
    body.clear();
    if (column.nullable && !options.data_page_v2) AppendLengthPrefixed(levels, &body);
    if (column.nullable && options.data_page_v2) body = levels;
    size_t raw_prefix = options.data_page_v2 ? body.size() : 0;
    if (use_dictionary) {
      body.push_back(static_cast<uint8_t>(bit_width));
      RleBitPackedEncode(std::span(indices).subspan(value_begin, present), bit_width, &body);
    } else {
      EncodePlain(column.physical_type, data.values, value_begin, value_begin + present, &body);
    }
    PageHeader header;
    if (options.data_page_v2) {
      header.type = PageType::kDataPageV2;
      DataPageHeaderV2 v2;
      v2.num_values = static_cast<int32_t>(rows);
      v2.num_nulls = static_cast<int32_t>(rows - present);
      v2.num_rows = static_cast<int32_t>(rows);
      v2.encoding = encoding;
      v2.definition_levels_byte_length = static_cast<int32_t>(raw_prefix);
      v2.is_compressed = codec.codec() != CompressionCodec::kUncompressed;
      header.data_page_header_v2 = v2;
    } else {
      header.type = PageType::kDataPage;
      DataPageHeader v1;
      v1.num_values = static_cast<int32_t>(rows);
      v1.encoding = encoding;
      header.data_page_header = v1;
    }
    EmitPage(header, body, raw_prefix, codec, options.page_crc, out, &sizes);
    ++pages;
    value_begin += present;
    row += rows;
    if (data.rows == 0) break;
  }
  meta.encoding_stats.push_back(
      {options.data_page_v2 ? PageType::kDataPageV2 : PageType::kDataPage, encoding, pages});
  meta.encodings = {Encoding::kPlain, Encoding::kRle};
  if (use_dictionary) meta.encodings.push_back(Encoding::kRleDictionary);
  meta.total_compressed_size = sizes.compressed;
  meta.total_uncompressed_size = sizes.uncompressed;

  ColumnChunk chunk;
  chunk.file_offset = file_offset;
  chunk.meta_data = std::move(meta);
  return chunk;
}

}  // namespace sluice::parquet
