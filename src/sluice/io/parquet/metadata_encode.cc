// Encoders of the FileMetaData structs to the Thrift compact protocol. Fields are written in
// field-id order; absent optional fields and empty optional lists are not written.
#include "sluice/io/parquet/metadata.h"

namespace sluice::parquet {
namespace {

using T = ThriftType;

template <typename V, typename F>
void WriteStructList(ThriftCompactWriter& w, int16_t id, const std::vector<V>& values, F write) {
  w.WriteFieldHeader(id, T::kList);
  w.WriteListHeader(T::kStruct, static_cast<uint32_t>(values.size()));
  for (const V& value : values) write(value, w);
}

void WriteI64List(ThriftCompactWriter& w, int16_t id, const std::vector<int64_t>& values) {
  w.WriteFieldHeader(id, T::kList);
  w.WriteListHeader(T::kI64, static_cast<uint32_t>(values.size()));
  for (int64_t value : values) w.WriteI64(value);
}

void WriteEmptyStructMember(ThriftCompactWriter& w, int16_t id) {
  w.BeginStruct();
  w.WriteFieldHeader(id, T::kStruct);
  w.BeginStruct();
  w.EndStruct();
  w.EndStruct();
}

void WriteSizeStatistics(const SizeStatistics& stats, ThriftCompactWriter& w) {
  w.BeginStruct();
  if (stats.unencoded_byte_array_data_bytes) {
    w.WriteFieldI64(1, *stats.unencoded_byte_array_data_bytes);
  }
  if (!stats.repetition_level_histogram.empty()) {
    WriteI64List(w, 2, stats.repetition_level_histogram);
  }
  if (!stats.definition_level_histogram.empty()) {
    WriteI64List(w, 3, stats.definition_level_histogram);
  }
  w.EndStruct();
}

void WritePageEncodingStats(const PageEncodingStats& stats, ThriftCompactWriter& w) {
  w.BeginStruct();
  w.WriteFieldI32(1, static_cast<int32_t>(stats.page_type));
  w.WriteFieldI32(2, static_cast<int32_t>(stats.encoding));
  w.WriteFieldI32(3, stats.count);
  w.EndStruct();
}

void WriteSortingColumn(const SortingColumn& column, ThriftCompactWriter& w) {
  w.BeginStruct();
  w.WriteFieldI32(1, column.column_idx);
  w.WriteFieldBool(2, column.descending);
  w.WriteFieldBool(3, column.nulls_first);
  w.EndStruct();
}

void WriteColumnChunk(const ColumnChunk& chunk, ThriftCompactWriter& w) {
  w.BeginStruct();
  if (chunk.file_path) w.WriteFieldBinary(1, *chunk.file_path);
  w.WriteFieldI64(2, chunk.file_offset);
  if (chunk.meta_data) {
    w.WriteFieldHeader(3, T::kStruct);
    WriteColumnMetaData(*chunk.meta_data, w);
  }
  if (chunk.offset_index_offset) w.WriteFieldI64(4, *chunk.offset_index_offset);
  if (chunk.offset_index_length) w.WriteFieldI32(5, *chunk.offset_index_length);
  if (chunk.column_index_offset) w.WriteFieldI64(6, *chunk.column_index_offset);
  if (chunk.column_index_length) w.WriteFieldI32(7, *chunk.column_index_length);
  // Encryption markers are decoded only to refuse such files; sluice never writes them.
  w.EndStruct();
}

}  // namespace

void WriteStatistics(const Statistics& stats, ThriftCompactWriter& w) {
  w.BeginStruct();
  if (stats.max) w.WriteFieldBinary(1, *stats.max);
  if (stats.min) w.WriteFieldBinary(2, *stats.min);
  if (stats.null_count) w.WriteFieldI64(3, *stats.null_count);
  if (stats.distinct_count) w.WriteFieldI64(4, *stats.distinct_count);
  if (stats.max_value) w.WriteFieldBinary(5, *stats.max_value);
  if (stats.min_value) w.WriteFieldBinary(6, *stats.min_value);
  if (stats.is_max_value_exact) w.WriteFieldBool(7, *stats.is_max_value_exact);
  if (stats.is_min_value_exact) w.WriteFieldBool(8, *stats.is_min_value_exact);
  if (stats.nan_count) w.WriteFieldI64(9, *stats.nan_count);
  w.EndStruct();
}

void WriteKeyValue(const KeyValue& kv, ThriftCompactWriter& w) {
  w.BeginStruct();
  w.WriteFieldBinary(1, kv.key);
  if (kv.value) w.WriteFieldBinary(2, *kv.value);
  w.EndStruct();
}

void WriteSchemaElement(const SchemaElement& e, ThriftCompactWriter& w) {
  w.BeginStruct();
  if (e.type) w.WriteFieldI32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.WriteFieldI32(2, *e.type_length);
  if (e.repetition_type) w.WriteFieldI32(3, static_cast<int32_t>(*e.repetition_type));
  w.WriteFieldBinary(4, e.name);
  if (e.num_children) w.WriteFieldI32(5, *e.num_children);
  if (e.converted_type) w.WriteFieldI32(6, static_cast<int32_t>(*e.converted_type));
  if (e.scale) w.WriteFieldI32(7, *e.scale);
  if (e.precision) w.WriteFieldI32(8, *e.precision);
  if (e.field_id) w.WriteFieldI32(9, *e.field_id);
  if (e.logical_type) {
    w.WriteFieldHeader(10, T::kStruct);
    WriteLogicalType(*e.logical_type, w);
  }
  w.EndStruct();
}

void WriteColumnMetaData(const ColumnMetaData& c, ThriftCompactWriter& w) {
  w.BeginStruct();
  w.WriteFieldI32(1, static_cast<int32_t>(c.type));
  w.WriteFieldHeader(2, T::kList);
  w.WriteListHeader(T::kI32, static_cast<uint32_t>(c.encodings.size()));
  for (Encoding encoding : c.encodings) w.WriteI32(static_cast<int32_t>(encoding));
  w.WriteFieldHeader(3, T::kList);
  w.WriteListHeader(T::kBinary, static_cast<uint32_t>(c.path_in_schema.size()));
  for (const std::string& part : c.path_in_schema) w.WriteBinary(part);
  w.WriteFieldI32(4, static_cast<int32_t>(c.codec));
  w.WriteFieldI64(5, c.num_values);
  w.WriteFieldI64(6, c.total_uncompressed_size);
  w.WriteFieldI64(7, c.total_compressed_size);
  if (!c.key_value_metadata.empty()) WriteStructList(w, 8, c.key_value_metadata, WriteKeyValue);
  w.WriteFieldI64(9, c.data_page_offset);
  if (c.index_page_offset) w.WriteFieldI64(10, *c.index_page_offset);
  if (c.dictionary_page_offset) w.WriteFieldI64(11, *c.dictionary_page_offset);
  if (c.statistics) {
    w.WriteFieldHeader(12, T::kStruct);
    WriteStatistics(*c.statistics, w);
  }
  if (!c.encoding_stats.empty()) WriteStructList(w, 13, c.encoding_stats, WritePageEncodingStats);
  if (c.bloom_filter_offset) w.WriteFieldI64(14, *c.bloom_filter_offset);
  if (c.bloom_filter_length) w.WriteFieldI32(15, *c.bloom_filter_length);
  if (c.size_statistics) {
    w.WriteFieldHeader(16, T::kStruct);
    WriteSizeStatistics(*c.size_statistics, w);
  }
  w.EndStruct();
}

void WriteRowGroup(const RowGroup& rg, ThriftCompactWriter& w) {
  w.BeginStruct();
  WriteStructList(w, 1, rg.columns, WriteColumnChunk);
  w.WriteFieldI64(2, rg.total_byte_size);
  w.WriteFieldI64(3, rg.num_rows);
  if (!rg.sorting_columns.empty()) WriteStructList(w, 4, rg.sorting_columns, WriteSortingColumn);
  if (rg.file_offset) w.WriteFieldI64(5, *rg.file_offset);
  if (rg.total_compressed_size) w.WriteFieldI64(6, *rg.total_compressed_size);
  if (rg.ordinal) w.WriteFieldI16(7, *rg.ordinal);
  w.EndStruct();
}

void EncodeFileMetaData(const FileMetaData& m, std::vector<uint8_t>* out) {
  ThriftCompactWriter w(out);
  w.BeginStruct();
  w.WriteFieldI32(1, m.version);
  WriteStructList(w, 2, m.schema, WriteSchemaElement);
  w.WriteFieldI64(3, m.num_rows);
  WriteStructList(w, 4, m.row_groups, WriteRowGroup);
  if (!m.key_value_metadata.empty()) WriteStructList(w, 5, m.key_value_metadata, WriteKeyValue);
  if (m.created_by) w.WriteFieldBinary(6, *m.created_by);
  if (!m.column_orders.empty()) {
    w.WriteFieldHeader(7, T::kList);
    w.WriteListHeader(T::kStruct, static_cast<uint32_t>(m.column_orders.size()));
    for (ColumnOrder order : m.column_orders) {
      // An unrecognized order cannot be reproduced; type-defined order is the safe reading.
      int16_t id = order == ColumnOrder::kUnrecognized ? 1 : static_cast<int16_t>(order);
      WriteEmptyStructMember(w, id);
    }
  }
  if (m.encryption_algorithm) {
    w.WriteFieldHeader(8, T::kStruct);
    int16_t id = *m.encryption_algorithm == EncryptionAlgorithm::kUnrecognized
                     ? 1
                     : static_cast<int16_t>(*m.encryption_algorithm);
    WriteEmptyStructMember(w, id);
  }
  if (m.footer_signing_key_metadata) w.WriteFieldBinary(9, *m.footer_signing_key_metadata);
  w.EndStruct();
}

}  // namespace sluice::parquet
