// Parquet file metadata (the footer's FileMetaData and everything it holds) as plain C++ values,
// with a decoder from and an encoder to the Thrift compact protocol. Field names follow
// parquet.thrift in snake_case. Optional Thrift fields are std::optional; optional lists are
// plain vectors where absent and empty mean the same and absent lists are not written.
//
// Decoding skips fields this version does not know (a newer writer's additions), checks the wire
// type of every known field and the presence of required ones, and raises InvalidData naming the
// struct and field. Decoding never validates cross-field consistency (the schema tree, offsets
// within the file): schema.h and footer.h do that.
//
// Thread safety: plain values; the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/thrift_compact.h"

namespace sluice::parquet {

struct Statistics {
  // Deprecated min/max (signed comparison regardless of logical type).
  std::optional<std::string> max;
  std::optional<std::string> min;
  std::optional<int64_t> null_count;
  std::optional<int64_t> distinct_count;
  std::optional<std::string> max_value;
  std::optional<std::string> min_value;
  std::optional<bool> is_max_value_exact;
  std::optional<bool> is_min_value_exact;
  std::optional<int64_t> nan_count;
  bool operator==(const Statistics&) const = default;
};

struct SizeStatistics {
  std::optional<int64_t> unencoded_byte_array_data_bytes;
  std::vector<int64_t> repetition_level_histogram;
  std::vector<int64_t> definition_level_histogram;
  bool operator==(const SizeStatistics&) const = default;
};

enum class TimeUnit : int32_t { kMillis = 1, kMicros = 2, kNanos = 3 };

// The LogicalType union. Only the members of the chosen kind are meaningful.
struct LogicalType {
  enum class Kind : int32_t {
    kString = 1,
    kMap = 2,
    kList = 3,
    kEnum = 4,
    kDecimal = 5,
    kDate = 6,
    kTime = 7,
    kTimestamp = 8,
    kInteger = 10,
    kUnknown = 11,  // the NullType: only nulls
    kJson = 12,
    kBson = 13,
    kUuid = 14,
    kFloat16 = 15,
    kVariant = 16,
    kGeometry = 17,
    kGeography = 18,
    // A union member this version does not know; `unrecognized_id` holds its field id.
    kUnrecognized = -1,
  };
  Kind kind = Kind::kUnrecognized;
  int16_t unrecognized_id = 0;
  int32_t decimal_scale = 0;
  int32_t decimal_precision = 0;
  bool is_adjusted_to_utc = false;    // time, timestamp
  TimeUnit unit = TimeUnit::kMillis;  // time, timestamp
  int8_t bit_width = 0;               // integer
  bool is_signed = false;             // integer
  std::optional<int8_t> variant_specification_version;
  std::optional<std::string> crs;             // geometry, geography
  std::optional<int32_t> edge_interpolation;  // geography
  bool operator==(const LogicalType&) const = default;
};

std::string LogicalTypeName(const LogicalType& type);  // "TIMESTAMP(MICROS,UTC)", "DECIMAL(9,2)"

struct SchemaElement {
  std::optional<PhysicalType> type;  // absent for groups
  std::optional<int32_t> type_length;
  std::optional<Repetition> repetition_type;
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<ConvertedType> converted_type;
  std::optional<int32_t> scale;
  std::optional<int32_t> precision;
  std::optional<int32_t> field_id;
  std::optional<LogicalType> logical_type;
  bool operator==(const SchemaElement&) const = default;
};

struct KeyValue {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const KeyValue&) const = default;
};

struct SortingColumn {
  int32_t column_idx = 0;
  bool descending = false;
  bool nulls_first = false;
  bool operator==(const SortingColumn&) const = default;
};

struct PageEncodingStats {
  PageType page_type = PageType::kDataPage;
  Encoding encoding = Encoding::kPlain;
  int32_t count = 0;
  bool operator==(const PageEncodingStats&) const = default;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kBoolean;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  CompressionCodec codec = CompressionCodec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  std::vector<KeyValue> key_value_metadata;
  int64_t data_page_offset = 0;
  std::optional<int64_t> index_page_offset;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;
  std::vector<PageEncodingStats> encoding_stats;
  std::optional<int64_t> bloom_filter_offset;
  std::optional<int32_t> bloom_filter_length;
  std::optional<SizeStatistics> size_statistics;
  bool operator==(const ColumnMetaData&) const = default;
};

struct ColumnChunk {
  std::optional<std::string> file_path;
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta_data;
  std::optional<int64_t> offset_index_offset;
  std::optional<int32_t> offset_index_length;
  std::optional<int64_t> column_index_offset;
  std::optional<int32_t> column_index_length;
  // Encryption markers: decoded only to refuse such files clearly (contents are not kept).
  bool has_crypto_metadata = false;
  bool has_encrypted_column_metadata = false;
  bool operator==(const ColumnChunk&) const = default;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  std::vector<SortingColumn> sorting_columns;
  std::optional<int64_t> file_offset;
  std::optional<int64_t> total_compressed_size;
  std::optional<int16_t> ordinal;
  bool operator==(const RowGroup&) const = default;
};

enum class ColumnOrder : int32_t {
  kTypeDefinedOrder = 1,
  kIeee754TotalOrder = 2,
  kUnrecognized = -1,
};

enum class EncryptionAlgorithm : int32_t {
  kAesGcmV1 = 1,
  kAesGcmCtrV1 = 2,
  kUnrecognized = -1,
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;
  std::optional<std::string> created_by;
  std::vector<ColumnOrder> column_orders;
  // Set for files with a plaintext footer whose columns are encrypted.
  std::optional<EncryptionAlgorithm> encryption_algorithm;
  std::optional<std::string> footer_signing_key_metadata;
  bool operator==(const FileMetaData&) const = default;
};

// Decodes a serialized FileMetaData at the start of `data`. With `consumed`, stores the number of
// bytes the struct took (an encrypted file's signature may follow); without it, trailing bytes
// are an error.
FileMetaData DecodeFileMetaData(std::span<const uint8_t> data, ThriftLimits limits = {},
                                size_t* consumed = nullptr);
// The byte ranges [first, second) of each RowGroup of a serialized FileMetaData at the start of
// `data`, found by skipping over the structs without decoding them; a reader that wants a few
// row groups of a file with many decodes only those (DecodeRowGroup), keeping the ranges.
std::vector<std::pair<uint32_t, uint32_t>> FindRowGroups(std::span<const uint8_t> data,
                                                         ThriftLimits limits = {});
// Decodes one serialized RowGroup (a range FindRowGroups gave).
RowGroup DecodeRowGroup(std::span<const uint8_t> data, ThriftLimits limits = {});
// Appends the serialized form to `out`.
void EncodeFileMetaData(const FileMetaData& metadata, std::vector<uint8_t>* out);

// Struct-level pieces, for page headers, page indexes and tests. Each reads one struct at the
// reader's position (after its field header, or as a list element).
Statistics ReadStatistics(ThriftCompactReader& reader);
void WriteStatistics(const Statistics& statistics, ThriftCompactWriter& writer);
LogicalType ReadLogicalType(ThriftCompactReader& reader);
void WriteLogicalType(const LogicalType& type, ThriftCompactWriter& writer);
KeyValue ReadKeyValue(ThriftCompactReader& reader);
void WriteKeyValue(const KeyValue& key_value, ThriftCompactWriter& writer);
SchemaElement ReadSchemaElement(ThriftCompactReader& reader);
void WriteSchemaElement(const SchemaElement& element, ThriftCompactWriter& writer);
ColumnMetaData ReadColumnMetaData(ThriftCompactReader& reader);
void WriteColumnMetaData(const ColumnMetaData& column, ThriftCompactWriter& writer);
RowGroup ReadRowGroup(ThriftCompactReader& reader);
void WriteRowGroup(const RowGroup& row_group, ThriftCompactWriter& writer);

}  // namespace sluice::parquet
