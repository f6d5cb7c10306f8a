// ColumnType: how one flat Parquet leaf column becomes a sluice column. The physical type with its
// logical (or legacy converted) annotation picks the sluice DataType and the conversion the column
// reader applies to each decoded value:
//   BOOLEAN -> bool; INT32 -> int8/16/32, uint8/16/32, date32, decimal128, int32 (TIME_MILLIS,
//   raw); INT64 -> int64, uint64, timestamp (ms/us/ns, zone "UTC" when adjusted to UTC),
//   decimal128, int64 (TIME_MICROS/NANOS, raw); INT96 -> timestamp in `int96_unit`, ns by
//   default (Spark's Julian-day layout; values outside that unit's range are InvalidData); FLOAT ->
//   float32; DOUBLE -> float64; BYTE_ARRAY -> string (STRING, ENUM, JSON), decimal128 or binary;
//   FIXED_LEN_BYTE_ARRAY -> fixed_size_binary[16] (UUID), float32 (FLOAT16), decimal128 or
//   fixed_size_binary[n].
// Unknown logical types read as their physical type; decimals wider than 38 digits are
// NotSupported naming the column. A nested column's leaf resolves to its values' type (the
// nesting around it is nested_schema.h's).
//
// Thread safety: pure values and functions.
#pragma once

#include <string>

#include "sluice/io/parquet/schema.h"
#include "sluice/table/schema.h"

namespace sluice::parquet {

// What the reader does to each physical value on its way into the column.
enum class ValueConversion {
  kNone,         // the physical bytes are the column's bytes (bool, int32/64, floats, strings)
  kInt32ToInt8,  // narrowing casts of INT32 INTEGER(8|16, signed|unsigned)
  kInt32ToInt16,
  kInt32ToUInt8,
  kInt32ToUInt16,
  kInt32ToDecimal,  // sign-extended to 128 bits
  kInt64ToDecimal,
  kBytesToDecimal,    // big-endian two's complement of 1..16 bytes (BYTE_ARRAY or FIXED)
  kInt96ToTimestamp,  // in the field type's unit
  kFloat16ToFloat32,
};

struct ColumnType {
  Field field;  // name (the leaf's dotted path), type, nullable (not REQUIRED)
  ValueConversion conversion = ValueConversion::kNone;
};

ColumnType ResolveColumnType(const ColumnDescriptor& column,
                             sluice::TimeUnit int96_unit = sluice::TimeUnit::kNano);

}  // namespace sluice::parquet
