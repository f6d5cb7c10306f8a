// WriterSchema: how a sluice Schema is stored in Parquet, the inverse of column_type.h. Each
// field becomes one flat leaf (REQUIRED when not nullable, else OPTIONAL):
//   bool -> BOOLEAN; int8/16/32 -> INT32 (INTEGER(8|16|32, signed)); uint8/16/32 -> INT32
//   (INTEGER(.., unsigned)); int64 -> INT64; uint64 -> INT64 (INTEGER(64, unsigned)); float32 ->
//   FLOAT; float64 -> DOUBLE; string -> BYTE_ARRAY (STRING); binary -> BYTE_ARRAY;
//   fixed_size_binary[n] -> FIXED_LEN_BYTE_ARRAY(n); date32 -> INT32 (DATE); timestamp -> INT64
//   (TIMESTAMP, UTC-adjusted when zoned; seconds are stored as milliseconds); decimal128(p, s) ->
//   INT32 (p <= 9), INT64 (p <= 18) or FIXED_LEN_BYTE_ARRAY of the fewest bytes that hold p digits.
// Nested fields become groups in the standard forms of LogicalTypes.md: a struct is a group of
// its fields; a list (large, fixed-size too) is <name> (LIST) > repeated group list > element;
// a map is <name> (MAP) > repeated group key_value > key (REQUIRED), value. Each leaf below is a
// WriterColumn with its path, levels and the child steps that reach its array.
// Legacy converted types are written beside logical types where they mean the same, so old
// readers understand the files too.
//
// Thread safety: pure values and functions.
#pragma once

#include <vector>

#include "sluice/io/parquet/metadata.h"
#include "sluice/table/schema.h"

namespace sluice::parquet {

// What the writer does to each value on its way to the physical type.
enum class WriteConversion {
  kNone,             // the column's bytes are the physical bytes
  kWidenSigned,      // int8/int16 -> INT32
  kWidenUnsigned,    // uint8/uint16 -> INT32
  kSecondsToMillis,  // timestamp[s] -> INT64 millis
  kDecimalToInt32,
  kDecimalToInt64,
  kDecimalToFixed,  // big-endian two's complement of type_length bytes
};

// How min and max compare for statistics (LogicalTypes.md sort orders).
enum class SortOrder { kSigned, kUnsigned, kFloat, kBool };

struct WriterColumn {
  SchemaElement element;
  PhysicalType physical_type = PhysicalType::kBoolean;
  int32_t type_length = 0;
  bool nullable = true;
  WriteConversion conversion = WriteConversion::kNone;
  SortOrder sort_order = SortOrder::kSigned;
  // The top-level field this leaf belongs to, its path (path_in_schema), its levels, and the
  // child index at each nested array from that field's array down to the leaf's (a list's
  // element and a map's entries are child 0, a map's key 0 and value 1).
  int field_index = 0;
  bool field_nullable = true;
  std::vector<std::string> path;
  int16_t max_definition_level = 0;
  int16_t max_repetition_level = 0;
  std::vector<int> steps;
  // The group elements that come before this leaf in the schema list (for the first leaf
  // below each group).
  std::vector<SchemaElement> groups;
  bool nested() const { return !steps.empty(); }
};

// One WriterColumn per leaf, field by field; NotSupported naming the field for types Parquet
// cannot hold.
std::vector<WriterColumn> MakeWriterColumns(const Schema& schema);
// The FileMetaData schema list: the root group, then each leaf after its groups.
std::vector<SchemaElement> MakeSchemaElements(const std::vector<WriterColumn>& columns);
// The footer of a file our writers wrote: these columns' schema, the rows and row groups
// written, the caller's key-value metadata, "sluice" as the writer, type-defined column orders.
FileMetaData MakeFileMetaData(const std::vector<WriterColumn>& columns, int64_t rows,
                              std::vector<RowGroup> row_groups, std::vector<KeyValue> key_values);

}  // namespace sluice::parquet
