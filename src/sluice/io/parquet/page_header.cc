#include "sluice/io/parquet/page_header.h"

#include "sluice/base/error.h"
#include "sluice/io/parquet/thrift_struct_reader_internal.h"

namespace sluice::parquet {
namespace {

using T = ThriftType;

void RequireNonNegative(int32_t value, const char* name) {
  if (value < 0) throw InvalidData("page header: {} is negative ({})", name, value);
}

DataPageHeader ReadDataPageHeader(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kDataPageHeaderFields[] = {
      {1, T::kI32}, {2, T::kI32}, {3, T::kI32}, {4, T::kI32}, {5, T::kStruct}};
  ThriftStructReader s(reader, "DataPageHeader", kDataPageHeaderFields);
  DataPageHeader h;
  bool has[4] = {};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        h.num_values = s.I32(f, "num_values");
        has[0] = true;
        break;
      case 2:
        h.encoding = static_cast<Encoding>(s.I32(f, "encoding"));
        has[1] = true;
        break;
      case 3:
        h.definition_level_encoding = static_cast<Encoding>(s.I32(f, "definition_level_encoding"));
        has[2] = true;
        break;
      case 4:
        h.repetition_level_encoding = static_cast<Encoding>(s.I32(f, "repetition_level_encoding"));
        has[3] = true;
        break;
      case 5:
        s.Struct(f, "statistics");
        h.statistics = ReadStatistics(reader);
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has[0], "num_values");
  s.Require(has[1], "encoding");
  s.Require(has[2], "definition_level_encoding");
  s.Require(has[3], "repetition_level_encoding");
  RequireNonNegative(h.num_values, "num_values");
  return h;
}

DictionaryPageHeader ReadDictionaryPageHeader(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kDictionaryPageHeaderFields[] = {
      {1, T::kI32}, {2, T::kI32}, {3, T::kBoolTrue}};
  ThriftStructReader s(reader, "DictionaryPageHeader", kDictionaryPageHeaderFields);
  DictionaryPageHeader h;
  bool has[2] = {};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        h.num_values = s.I32(f, "num_values");
        has[0] = true;
        break;
      case 2:
        h.encoding = static_cast<Encoding>(s.I32(f, "encoding"));
        has[1] = true;
        break;
      case 3:
        h.is_sorted = s.Bool(f, "is_sorted");
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has[0], "num_values");
  s.Require(has[1], "encoding");
  RequireNonNegative(h.num_values, "dictionary num_values");
  return h;
}

DataPageHeaderV2 ReadDataPageHeaderV2(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kDataPageHeaderV2Fields[] = {
      {1, T::kI32}, {2, T::kI32}, {3, T::kI32},      {4, T::kI32},
      {5, T::kI32}, {6, T::kI32}, {7, T::kBoolTrue}, {8, T::kStruct}};
  ThriftStructReader s(reader, "DataPageHeaderV2", kDataPageHeaderV2Fields);
  DataPageHeaderV2 h;
  bool has[6] = {};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        h.num_values = s.I32(f, "num_values");
        has[0] = true;
        break;
      case 2:
        h.num_nulls = s.I32(f, "num_nulls");
        has[1] = true;
        break;
      case 3:
        h.num_rows = s.I32(f, "num_rows");
        has[2] = true;
        break;
      case 4:
        h.encoding = static_cast<Encoding>(s.I32(f, "encoding"));
        has[3] = true;
        break;
      case 5:
        h.definition_levels_byte_length = s.I32(f, "definition_levels_byte_length");
        has[4] = true;
        break;
      case 6:
        h.repetition_levels_byte_length = s.I32(f, "repetition_levels_byte_length");
        has[5] = true;
        break;
      case 7:
        h.is_compressed = s.Bool(f, "is_compressed");
        break;
      case 8:
        s.Struct(f, "statistics");
        h.statistics = ReadStatistics(reader);
        break;
      default:
        s.Skip(f);
    }
  }
  static const char* const kRequired[6] = {"num_values",
                                           "num_nulls",
                                           "num_rows",
                                           "encoding",
                                           "definition_levels_byte_length",
                                           "repetition_levels_byte_length"};
  for (int i = 0; i < 6; ++i) s.Require(has[i], kRequired[i]);
  RequireNonNegative(h.num_values, "num_values");
  RequireNonNegative(h.num_nulls, "num_nulls");
  RequireNonNegative(h.num_rows, "num_rows");
  RequireNonNegative(h.definition_levels_byte_length, "definition_levels_byte_length");
  RequireNonNegative(h.repetition_levels_byte_length, "repetition_levels_byte_length");
  if (h.num_nulls > h.num_values) {
    throw InvalidData("page header: num_nulls {} exceeds num_values {}", h.num_nulls, h.num_values);
  }
  return h;
}

}  // namespace

PageHeader DecodePageHeader(std::span<const uint8_t> data, size_t* header_size,
                            ThriftLimits limits) {
  ThriftCompactReader reader(data, limits);
  PageHeader h;
  bool has[3] = {};
  {
    static constexpr ThriftFieldSpec kPageHeaderFields[] = {
        {1, T::kI32},    {2, T::kI32},    {3, T::kI32},    {4, T::kI32},
        {5, T::kStruct}, {6, T::kStruct}, {7, T::kStruct}, {8, T::kStruct}};
    ThriftStructReader s(reader, "PageHeader", kPageHeaderFields);
    ThriftField f;
    while (s.Next(&f)) {
      switch (f.id) {
        case 1:
          h.type = static_cast<PageType>(s.I32(f, "type"));
          has[0] = true;
          break;
        case 2:
          h.uncompressed_page_size = s.I32(f, "uncompressed_page_size");
          has[1] = true;
          break;
        case 3:
          h.compressed_page_size = s.I32(f, "compressed_page_size");
          has[2] = true;
          break;
        case 4:
          h.crc = s.I32(f, "crc");
          break;
        case 5:
          s.Struct(f, "data_page_header");
          h.data_page_header = ReadDataPageHeader(reader);
          break;
        case 6:
          s.Struct(f, "index_page_header");
          s.Skip(f);
          h.has_index_page_header = true;
          break;
        case 7:
          s.Struct(f, "dictionary_page_header");
          h.dictionary_page_header = ReadDictionaryPageHeader(reader);
          break;
        case 8:
          s.Struct(f, "data_page_header_v2");
          h.data_page_header_v2 = ReadDataPageHeaderV2(reader);
          break;
        default:
          s.Skip(f);
      }
    }
    s.Require(has[0], "type");
    s.Require(has[1], "uncompressed_page_size");
    s.Require(has[2], "compressed_page_size");
  }
  RequireNonNegative(h.uncompressed_page_size, "uncompressed_page_size");
  RequireNonNegative(h.compressed_page_size, "compressed_page_size");
  // The part that matches the page type must be there; the page reader relies on it.
  if ((h.type == PageType::kDataPage && !h.data_page_header) ||
      (h.type == PageType::kDataPageV2 && !h.data_page_header_v2) ||
      (h.type == PageType::kDictionaryPage && !h.dictionary_page_header)) {
    throw InvalidData("page header: a {} page lacks its matching header struct",
                      PageTypeName(h.type));
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& v2 = *h.data_page_header_v2;
    int64_t levels = int64_t{v2.definition_levels_byte_length} + v2.repetition_levels_byte_length;
    if (levels > h.compressed_page_size || levels > h.uncompressed_page_size) {
      throw InvalidData("page header: level bytes {} exceed the page size", levels);
    }
  }
  *header_size = reader.position();
  return h;
}

void EncodePageHeader(const PageHeader& h, std::vector<uint8_t>* out) {
  ThriftCompactWriter w(out);
  w.BeginStruct();
  w.WriteFieldI32(1, static_cast<int32_t>(h.type));
  w.WriteFieldI32(2, h.uncompressed_page_size);
  w.WriteFieldI32(3, h.compressed_page_size);
  if (h.crc) w.WriteFieldI32(4, *h.crc);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.WriteFieldHeader(5, T::kStruct);
    w.BeginStruct();
    w.WriteFieldI32(1, d.num_values);
    w.WriteFieldI32(2, static_cast<int32_t>(d.encoding));
    w.WriteFieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.WriteFieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    if (d.statistics) {
      w.WriteFieldHeader(5, T::kStruct);
      WriteStatistics(*d.statistics, w);
    }
    w.EndStruct();
  }
  if (h.has_index_page_header) {
    w.WriteFieldHeader(6, T::kStruct);
    w.BeginStruct();
    w.EndStruct();
  }
  if (h.dictionary_page_header) {
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    w.WriteFieldHeader(7, T::kStruct);
    w.BeginStruct();
    w.WriteFieldI32(1, d.num_values);
    w.WriteFieldI32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.WriteFieldBool(3, *d.is_sorted);
    w.EndStruct();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    w.WriteFieldHeader(8, T::kStruct);
    w.BeginStruct();
    w.WriteFieldI32(1, d.num_values);
    w.WriteFieldI32(2, d.num_nulls);
    w.WriteFieldI32(3, d.num_rows);
    w.WriteFieldI32(4, static_cast<int32_t>(d.encoding));
    w.WriteFieldI32(5, d.definition_levels_byte_length);
    w.WriteFieldI32(6, d.repetition_levels_byte_length);
    if (d.is_compressed) w.WriteFieldBool(7, *d.is_compressed);
    if (d.statistics) {
      w.WriteFieldHeader(8, T::kStruct);
      WriteStatistics(*d.statistics, w);
    }
    w.EndStruct();
  }
  w.EndStruct();
}

}  // namespace sluice::parquet
