// Decoders of the FileMetaData structs from the Thrift compact protocol.
#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/thrift_struct_reader_internal.h"

namespace sluice::parquet {
namespace {

using T = ThriftType;

// Lists are reserved only up to a modest size: their length comes from untrusted input.
template <typename V>
void ReserveBounded(V& vec, uint32_t size) {
  vec.reserve(std::min<uint32_t>(size, 1024));
}

std::vector<std::string> ReadStringList(ThriftStructReader& s, const ThriftField& f,
                                        const char* name) {
  uint32_t size = s.List(f, name, T::kBinary);
  std::vector<std::string> out;
  ReserveBounded(out, size);
  for (uint32_t i = 0; i < size; ++i) out.emplace_back(s.reader().ReadBinary());
  return out;
}

std::vector<int64_t> ReadI64List(ThriftStructReader& s, const ThriftField& f, const char* name) {
  uint32_t size = s.List(f, name, T::kI64);
  std::vector<int64_t> out;
  ReserveBounded(out, size);
  for (uint32_t i = 0; i < size; ++i) out.push_back(s.reader().ReadI64());
  return out;
}

std::vector<KeyValue> ReadKeyValueList(ThriftStructReader& s, const ThriftField& f,
                                       const char* name) {
  uint32_t size = s.List(f, name, T::kStruct);
  std::vector<KeyValue> out;
  ReserveBounded(out, size);
  for (uint32_t i = 0; i < size; ++i) out.push_back(ReadKeyValue(s.reader()));
  return out;
}

std::optional<ColumnOrder> ReadColumnOrder(ThriftCompactReader& reader) {
  ThriftStructReader s(reader, "ColumnOrder");
  std::optional<ColumnOrder> order;
  ThriftField f;
  while (s.Next(&f)) {
    if (f.type == T::kStruct) {
      order =
          (f.id == 1 || f.id == 2) ? static_cast<ColumnOrder>(f.id) : ColumnOrder::kUnrecognized;
    }
    s.Skip(f);
  }
  s.Require(order.has_value(), "member");
  return order;
}

EncryptionAlgorithm ReadEncryptionAlgorithm(ThriftCompactReader& reader) {
  ThriftStructReader s(reader, "EncryptionAlgorithm");
  EncryptionAlgorithm algorithm = EncryptionAlgorithm::kUnrecognized;
  ThriftField f;
  while (s.Next(&f)) {
    if (f.type == T::kStruct && (f.id == 1 || f.id == 2)) {
      algorithm = static_cast<EncryptionAlgorithm>(f.id);
    }
    s.Skip(f);
  }
  return algorithm;
}

SizeStatistics ReadSizeStatistics(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kSizeStatisticsFields[] = {
      {1, T::kI64}, {2, T::kList}, {3, T::kList}};
  ThriftStructReader s(reader, "SizeStatistics", kSizeStatisticsFields);
  SizeStatistics stats;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        stats.unencoded_byte_array_data_bytes = s.I64(f, "unencoded_byte_array_data_bytes");
        break;
      case 2:
        stats.repetition_level_histogram = ReadI64List(s, f, "repetition_level_histogram");
        break;
      case 3:
        stats.definition_level_histogram = ReadI64List(s, f, "definition_level_histogram");
        break;
      default:
        s.Skip(f);
    }
  }
  return stats;
}

PageEncodingStats ReadPageEncodingStats(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kPageEncodingStatsFields[] = {
      {1, T::kI32}, {2, T::kI32}, {3, T::kI32}};
  ThriftStructReader s(reader, "PageEncodingStats", kPageEncodingStatsFields);
  PageEncodingStats stats;
  bool has[3] = {false, false, false};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        stats.page_type = static_cast<PageType>(s.I32(f, "page_type"));
        has[0] = true;
        break;
      case 2:
        stats.encoding = static_cast<Encoding>(s.I32(f, "encoding"));
        has[1] = true;
        break;
      case 3:
        stats.count = s.I32(f, "count");
        has[2] = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has[0], "page_type");
  s.Require(has[1], "encoding");
  s.Require(has[2], "count");
  return stats;
}

SortingColumn ReadSortingColumn(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kSortingColumnFields[] = {
      {1, T::kI32}, {2, T::kBoolTrue}, {3, T::kBoolTrue}};
  ThriftStructReader s(reader, "SortingColumn", kSortingColumnFields);
  SortingColumn column;
  bool has[3] = {false, false, false};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        column.column_idx = s.I32(f, "column_idx");
        has[0] = true;
        break;
      case 2:
        column.descending = s.Bool(f, "descending");
        has[1] = true;
        break;
      case 3:
        column.nulls_first = s.Bool(f, "nulls_first");
        has[2] = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has[0], "column_idx");
  s.Require(has[1], "descending");
  s.Require(has[2], "nulls_first");
  return column;
}

ColumnChunk ReadColumnChunk(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kColumnChunkFields[] = {
      {1, T::kBinary}, {2, T::kI64}, {3, T::kStruct}, {4, T::kI64},   {5, T::kI32},
      {6, T::kI64},    {7, T::kI32}, {8, T::kStruct}, {9, T::kBinary}};
  ThriftStructReader s(reader, "ColumnChunk", kColumnChunkFields);
  ColumnChunk chunk;
  bool has_file_offset = false;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        chunk.file_path = s.String(f, "file_path");
        break;
      case 2:
        chunk.file_offset = s.I64(f, "file_offset");
        has_file_offset = true;
        break;
      case 3:
        s.Struct(f, "meta_data");
        chunk.meta_data = ReadColumnMetaData(reader);
        break;
      case 4:
        chunk.offset_index_offset = s.I64(f, "offset_index_offset");
        break;
      case 5:
        chunk.offset_index_length = s.I32(f, "offset_index_length");
        break;
      case 6:
        chunk.column_index_offset = s.I64(f, "column_index_offset");
        break;
      case 7:
        chunk.column_index_length = s.I32(f, "column_index_length");
        break;
      case 8:
        s.Struct(f, "crypto_metadata");
        s.Skip(f);
        chunk.has_crypto_metadata = true;
        break;
      case 9:
        s.String(f, "encrypted_column_metadata");
        chunk.has_encrypted_column_metadata = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has_file_offset, "file_offset");
  return chunk;
}

}  // namespace

Statistics ReadStatistics(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kStatisticsFields[] = {
      {1, T::kBinary}, {2, T::kBinary},   {3, T::kI64},      {4, T::kI64}, {5, T::kBinary},
      {6, T::kBinary}, {7, T::kBoolTrue}, {8, T::kBoolTrue}, {9, T::kI64}};
  ThriftStructReader s(reader, "Statistics", kStatisticsFields);
  Statistics stats;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        stats.max = s.String(f, "max");
        break;
      case 2:
        stats.min = s.String(f, "min");
        break;
      case 3:
        stats.null_count = s.I64(f, "null_count");
        break;
      case 4:
        stats.distinct_count = s.I64(f, "distinct_count");
        break;
      case 5:
        stats.max_value = s.String(f, "max_value");
        break;
      case 6:
        stats.min_value = s.String(f, "min_value");
        break;
      case 7:
        stats.is_max_value_exact = s.Bool(f, "is_max_value_exact");
        break;
      case 8:
        stats.is_min_value_exact = s.Bool(f, "is_min_value_exact");
        break;
      case 9:
        stats.nan_count = s.I64(f, "nan_count");
        break;
      default:
        s.Skip(f);
    }
  }
  return stats;
}

KeyValue ReadKeyValue(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kKeyValueFields[] = {{1, T::kBinary}, {2, T::kBinary}};
  ThriftStructReader s(reader, "KeyValue", kKeyValueFields);
  KeyValue kv;
  bool has_key = false;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        kv.key = s.String(f, "key");
        has_key = true;
        break;
      case 2:
        kv.value = s.String(f, "value");
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has_key, "key");
  return kv;
}

SchemaElement ReadSchemaElement(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kSchemaElementFields[] = {
      {1, T::kI32}, {2, T::kI32}, {3, T::kI32}, {4, T::kBinary}, {5, T::kI32},
      {6, T::kI32}, {7, T::kI32}, {8, T::kI32}, {9, T::kI32},    {10, T::kStruct}};
  ThriftStructReader s(reader, "SchemaElement", kSchemaElementFields);
  SchemaElement element;
  bool has_name = false;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        element.type = static_cast<PhysicalType>(s.I32(f, "type"));
        break;
      case 2:
        element.type_length = s.I32(f, "type_length");
        break;
      case 3:
        element.repetition_type = static_cast<Repetition>(s.I32(f, "repetition_type"));
        break;
      case 4:
        element.name = s.String(f, "name");
        has_name = true;
        break;
      case 5:
        element.num_children = s.I32(f, "num_children");
        break;
      case 6:
        element.converted_type = static_cast<ConvertedType>(s.I32(f, "converted_type"));
        break;
      case 7:
        element.scale = s.I32(f, "scale");
        break;
      case 8:
        element.precision = s.I32(f, "precision");
        break;
      case 9:
        element.field_id = s.I32(f, "field_id");
        break;
      case 10:
        s.Struct(f, "logicalType");
        element.logical_type = ReadLogicalType(reader);
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has_name, "name");
  return element;
}

ColumnMetaData ReadColumnMetaData(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kColumnMetaDataFields[] = {
      {1, T::kI32},   {2, T::kList}, {3, T::kList}, {4, T::kI32},
      {5, T::kI64},   {6, T::kI64},  {7, T::kI64},  {8, T::kList},
      {9, T::kI64},   {10, T::kI64}, {11, T::kI64}, {12, T::kStruct},
      {13, T::kList}, {14, T::kI64}, {15, T::kI32}, {16, T::kStruct}};
  ThriftStructReader s(reader, "ColumnMetaData", kColumnMetaDataFields);
  ColumnMetaData column;
  // Required: type, encodings, path_in_schema, codec, num_values, sizes, data_page_offset.
  bool has[8] = {};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        column.type = static_cast<PhysicalType>(s.I32(f, "type"));
        has[0] = true;
        break;
      case 2: {
        uint32_t size = s.List(f, "encodings", T::kI32);
        ReserveBounded(column.encodings, size);
        for (uint32_t i = 0; i < size; ++i) {
          column.encodings.push_back(static_cast<Encoding>(reader.ReadI32()));
        }
        has[1] = true;
        break;
      }
      case 3:
        column.path_in_schema = ReadStringList(s, f, "path_in_schema");
        has[2] = true;
        break;
      case 4:
        column.codec = static_cast<CompressionCodec>(s.I32(f, "codec"));
        has[3] = true;
        break;
      case 5:
        column.num_values = s.I64(f, "num_values");
        has[4] = true;
        break;
      case 6:
        column.total_uncompressed_size = s.I64(f, "total_uncompressed_size");
        has[5] = true;
        break;
      case 7:
        column.total_compressed_size = s.I64(f, "total_compressed_size");
        has[6] = true;
        break;
      case 8:
        column.key_value_metadata = ReadKeyValueList(s, f, "key_value_metadata");
        break;
      case 9:
        column.data_page_offset = s.I64(f, "data_page_offset");
        has[7] = true;
        break;
      case 10:
        column.index_page_offset = s.I64(f, "index_page_offset");
        break;
      case 11:
        column.dictionary_page_offset = s.I64(f, "dictionary_page_offset");
        break;
      case 12:
        s.Struct(f, "statistics");
        column.statistics = ReadStatistics(reader);
        break;
      case 13: {
        uint32_t size = s.List(f, "encoding_stats", T::kStruct);
        ReserveBounded(column.encoding_stats, size);
        for (uint32_t i = 0; i < size; ++i) {
          column.encoding_stats.push_back(ReadPageEncodingStats(reader));
        }
        break;
      }
      case 14:
        column.bloom_filter_offset = s.I64(f, "bloom_filter_offset");
        break;
      case 15:
        column.bloom_filter_length = s.I32(f, "bloom_filter_length");
        break;
      case 16:
        s.Struct(f, "size_statistics");
        column.size_statistics = ReadSizeStatistics(reader);
        break;
      default:
        s.Skip(f);
    }
  }
  static const char* const kRequired[8] = {"type",
                                           "encodings",
                                           "path_in_schema",
                                           "codec",
                                           "num_values",
                                           "total_uncompressed_size",
                                           "total_compressed_size",
                                           "data_page_offset"};
  for (int i = 0; i < 8; ++i) s.Require(has[i], kRequired[i]);
  return column;
}

RowGroup ReadRowGroup(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kRowGroupFields[] = {{1, T::kList}, {2, T::kI64}, {3, T::kI64},
                                                        {4, T::kList}, {5, T::kI64}, {6, T::kI64},
                                                        {7, T::kI16}};
  ThriftStructReader s(reader, "RowGroup", kRowGroupFields);
  RowGroup row_group;
  bool has[3] = {false, false, false};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1: {
        uint32_t size = s.List(f, "columns", T::kStruct);
        ReserveBounded(row_group.columns, size);
        for (uint32_t i = 0; i < size; ++i) row_group.columns.push_back(ReadColumnChunk(reader));
        has[0] = true;
        break;
      }
      case 2:
        row_group.total_byte_size = s.I64(f, "total_byte_size");
        has[1] = true;
        break;
      case 3:
        row_group.num_rows = s.I64(f, "num_rows");
        has[2] = true;
        break;
      case 4: {
        uint32_t size = s.List(f, "sorting_columns", T::kStruct);
        ReserveBounded(row_group.sorting_columns, size);
        for (uint32_t i = 0; i < size; ++i) {
          row_group.sorting_columns.push_back(ReadSortingColumn(reader));
        }
        break;
      }
      case 5:
        row_group.file_offset = s.I64(f, "file_offset");
        break;
      case 6:
        row_group.total_compressed_size = s.I64(f, "total_compressed_size");
        break;
      case 7:
        row_group.ordinal = s.I16(f, "ordinal");
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has[0], "columns");
  s.Require(has[1], "total_byte_size");
  s.Require(has[2], "num_rows");
  return row_group;
}

std::vector<std::pair<uint32_t, uint32_t>> FindRowGroups(std::span<const uint8_t> data,
                                                         ThriftLimits limits) {
  ThriftCompactReader reader(data, limits);
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  reader.BeginStruct();
  ThriftField f;
  while (reader.NextField(&f)) {
    if (f.id != 4 || f.type != T::kList) {
      reader.Skip(f.type);
      continue;
    }
    const ThriftListHeader list = reader.ReadListHeader();
    if (list.element_type != T::kStruct)
      throw InvalidData("FileMetaData.row_groups is no struct list");
    ranges.reserve(list.size);
    for (uint32_t i = 0; i < list.size; ++i) {
      const auto begin = static_cast<uint32_t>(reader.position());
      reader.Skip(T::kStruct);
      ranges.emplace_back(begin, static_cast<uint32_t>(reader.position()));
    }
  }
  reader.EndStruct();
  return ranges;
}

RowGroup DecodeRowGroup(std::span<const uint8_t> data, ThriftLimits limits) {
  ThriftCompactReader reader(data, limits);
  return ReadRowGroup(reader);
}

FileMetaData DecodeFileMetaData(std::span<const uint8_t> data, ThriftLimits limits,
                                size_t* consumed) {
  ThriftCompactReader reader(data, limits);
  FileMetaData metadata;
  {
    static constexpr ThriftFieldSpec kFileMetaDataFields[] = {
        {1, T::kI32},    {2, T::kList}, {3, T::kI64},    {4, T::kList},  {5, T::kList},
        {6, T::kBinary}, {7, T::kList}, {8, T::kStruct}, {9, T::kBinary}};
    ThriftStructReader s(reader, "FileMetaData", kFileMetaDataFields);
    bool has[4] = {false, false, false, false};
    ThriftField f;
    while (s.Next(&f)) {
      switch (f.id) {
        case 1:
          metadata.version = s.I32(f, "version");
          has[0] = true;
          break;
        case 2: {
          uint32_t size = s.List(f, "schema", T::kStruct);
          ReserveBounded(metadata.schema, size);
          for (uint32_t i = 0; i < size; ++i) metadata.schema.push_back(ReadSchemaElement(reader));
          has[1] = true;
          break;
        }
        case 3:
          metadata.num_rows = s.I64(f, "num_rows");
          has[2] = true;
          break;
        case 4: {
          uint32_t size = s.List(f, "row_groups", T::kStruct);
          ReserveBounded(metadata.row_groups, size);
          for (uint32_t i = 0; i < size; ++i) metadata.row_groups.push_back(ReadRowGroup(reader));
          has[3] = true;
          break;
        }
        case 5:
          metadata.key_value_metadata = ReadKeyValueList(s, f, "key_value_metadata");
          break;
        case 6:
          metadata.created_by = s.String(f, "created_by");
          break;
        case 7: {
          uint32_t size = s.List(f, "column_orders", T::kStruct);
          ReserveBounded(metadata.column_orders, size);
          for (uint32_t i = 0; i < size; ++i) {
            metadata.column_orders.push_back(*ReadColumnOrder(reader));
          }
          break;
        }
        case 8:
          s.Struct(f, "encryption_algorithm");
          metadata.encryption_algorithm = ReadEncryptionAlgorithm(reader);
          break;
        case 9:
          metadata.footer_signing_key_metadata = s.String(f, "footer_signing_key_metadata");
          break;
        default:
          s.Skip(f);
      }
    }
    s.Require(has[0], "version");
    s.Require(has[1], "schema");
    s.Require(has[2], "num_rows");
    s.Require(has[3], "row_groups");
  }
  if (consumed != nullptr) {
    *consumed = reader.position();
  } else if (reader.remaining() != 0) {
    throw InvalidData("thrift: {} bytes follow the end of FileMetaData", reader.remaining())
        .With("offset", std::to_string(reader.position()));
  }
  return metadata;
}

}  // namespace sluice::parquet
