#include "sluice/io/parquet/column_type.h"

#include <optional>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

struct Resolved {
  DataType type;
  ValueConversion conversion = ValueConversion::kNone;
};

// The annotation that applies: the logical type when the writer gave one this version knows,
// else the legacy converted type translated to its logical equivalent.
std::optional<LogicalType> EffectiveLogicalType(const SchemaElement& element) {
  if (element.logical_type && element.logical_type->kind != LogicalType::Kind::kUnrecognized) {
    return element.logical_type;
  }
  if (!element.converted_type) return std::nullopt;
  LogicalType type;
  auto integer = [&](int8_t bits, bool is_signed) {
    type.kind = LogicalType::Kind::kInteger;
    type.bit_width = bits;
    type.is_signed = is_signed;
  };
  switch (*element.converted_type) {
    case ConvertedType::kUtf8:
      type.kind = LogicalType::Kind::kString;
      break;
    case ConvertedType::kEnum:
      type.kind = LogicalType::Kind::kEnum;
      break;
    case ConvertedType::kJson:
      type.kind = LogicalType::Kind::kJson;
      break;
    case ConvertedType::kBson:
      type.kind = LogicalType::Kind::kBson;
      break;
    case ConvertedType::kDecimal:
      type.kind = LogicalType::Kind::kDecimal;
      type.decimal_precision = element.precision.value_or(0);
      type.decimal_scale = element.scale.value_or(0);
      break;
    case ConvertedType::kDate:
      type.kind = LogicalType::Kind::kDate;
      break;
    case ConvertedType::kTimeMillis:
    case ConvertedType::kTimeMicros:
      type.kind = LogicalType::Kind::kTime;
      break;
    // Legacy timestamps are instants (isAdjustedToUTC = true, per LogicalTypes.md).
    case ConvertedType::kTimestampMillis:
      type.kind = LogicalType::Kind::kTimestamp;
      type.unit = TimeUnit::kMillis;
      type.is_adjusted_to_utc = true;
      break;
    case ConvertedType::kTimestampMicros:
      type.kind = LogicalType::Kind::kTimestamp;
      type.unit = TimeUnit::kMicros;
      type.is_adjusted_to_utc = true;
      break;
    case ConvertedType::kInt8:
      integer(8, true);
      break;
    case ConvertedType::kInt16:
      integer(16, true);
      break;
    case ConvertedType::kInt32:
      integer(32, true);
      break;
    case ConvertedType::kInt64:
      integer(64, true);
      break;
    case ConvertedType::kUint8:
      integer(8, false);
      break;
    case ConvertedType::kUint16:
      integer(16, false);
      break;
    case ConvertedType::kUint32:
      integer(32, false);
      break;
    case ConvertedType::kUint64:
      integer(64, false);
      break;
    default:  // MAP, LIST, INTERVAL and unknown values: read the physical type
      return std::nullopt;
  }
  return type;
}

DataType DecimalType(const LogicalType& logical) {
  int32_t precision = logical.decimal_precision;
  int32_t scale = logical.decimal_scale;
  if (precision > 38) {
    throw NotSupported("DECIMAL({},{}) is wider than decimal128's 38 digits", precision, scale);
  }
  if (precision < 1 || scale < 0 || scale > precision) {
    throw InvalidData("DECIMAL({},{}) has an impossible precision or scale", precision, scale);
  }
  return DataType::Decimal128(precision, scale);
}

Resolved ResolveInt32(const std::optional<LogicalType>& logical) {
  if (!logical) return {DataType::Int32()};
  switch (logical->kind) {
    case LogicalType::Kind::kInteger:
      switch (logical->bit_width) {
        case 8:
          return logical->is_signed ? Resolved{DataType::Int8(), ValueConversion::kInt32ToInt8}
                                    : Resolved{DataType::UInt8(), ValueConversion::kInt32ToUInt8};
        case 16:
          return logical->is_signed ? Resolved{DataType::Int16(), ValueConversion::kInt32ToInt16}
                                    : Resolved{DataType::UInt16(), ValueConversion::kInt32ToUInt16};
        default:
          return {logical->is_signed ? DataType::Int32() : DataType::UInt32()};
      }
    case LogicalType::Kind::kDecimal:
      return {DecimalType(*logical), ValueConversion::kInt32ToDecimal};
    case LogicalType::Kind::kDate:
      return {DataType::Date32()};
    default:  // TIME(MILLIS) and others: the raw value (sluice has no time-of-day type)
      return {DataType::Int32()};
  }
}

Resolved ResolveInt64(const std::optional<LogicalType>& logical) {
  if (!logical) return {DataType::Int64()};
  switch (logical->kind) {
    case LogicalType::Kind::kInteger:
      return {logical->is_signed || logical->bit_width < 64 ? DataType::Int64()
                                                            : DataType::UInt64()};
    case LogicalType::Kind::kDecimal:
      return {DecimalType(*logical), ValueConversion::kInt64ToDecimal};
    case LogicalType::Kind::kTimestamp: {
      sluice::TimeUnit unit = logical->unit == TimeUnit::kMillis   ? sluice::TimeUnit::kMilli
                              : logical->unit == TimeUnit::kMicros ? sluice::TimeUnit::kMicro
                                                                   : sluice::TimeUnit::kNano;
      return {DataType::Timestamp(unit, logical->is_adjusted_to_utc ? "UTC" : "")};
    }
    default:  // TIME(MICROS|NANOS) and others: the raw value
      return {DataType::Int64()};
  }
}

Resolved ResolveByteArray(const std::optional<LogicalType>& logical) {
  if (!logical) return {DataType::Binary()};
  switch (logical->kind) {
    case LogicalType::Kind::kString:
    case LogicalType::Kind::kEnum:
    case LogicalType::Kind::kJson:
      return {DataType::String()};
    case LogicalType::Kind::kDecimal:
      return {DecimalType(*logical), ValueConversion::kBytesToDecimal};
    default:
      return {DataType::Binary()};
  }
}

Resolved ResolveFixed(const std::optional<LogicalType>& logical, int32_t width) {
  if (logical) {
    switch (logical->kind) {
      case LogicalType::Kind::kDecimal:
        return {DecimalType(*logical), ValueConversion::kBytesToDecimal};
      case LogicalType::Kind::kFloat16:
        if (width != 2) throw InvalidData("FLOAT16 stored in {} bytes, not 2", width);
        return {DataType::Float32(), ValueConversion::kFloat16ToFloat32};
      case LogicalType::Kind::kUuid:
        if (width != 16) throw InvalidData("UUID stored in {} bytes, not 16", width);
        return {DataType::FixedSizeBinary(16)};
      default:
        break;
    }
  }
  return {DataType::FixedSizeBinary(width)};
}

}  // namespace

ColumnType ResolveColumnType(const ColumnDescriptor& column, sluice::TimeUnit int96_unit) {
  std::string name = column.DottedPath();
  try {
    std::optional<LogicalType> logical = EffectiveLogicalType(column.element);
    Resolved resolved{DataType::Int32()};
    switch (column.physical_type) {
      case PhysicalType::kBoolean:
        resolved = {DataType::Bool()};
        break;
      case PhysicalType::kInt32:
        resolved = ResolveInt32(logical);
        break;
      case PhysicalType::kInt64:
        resolved = ResolveInt64(logical);
        break;
      case PhysicalType::kInt96:
        resolved = {DataType::Timestamp(int96_unit), ValueConversion::kInt96ToTimestamp};
        break;
      case PhysicalType::kFloat:
        resolved = {DataType::Float32()};
        break;
      case PhysicalType::kDouble:
        resolved = {DataType::Float64()};
        break;
      case PhysicalType::kByteArray:
        resolved = ResolveByteArray(logical);
        break;
      case PhysicalType::kFixedLenByteArray:
        resolved = ResolveFixed(logical, column.type_length);
        break;
      default:
        throw InvalidData("unknown physical type {}", PhysicalTypeName(column.physical_type));
    }
    ColumnType result{Field{name, resolved.type, column.repetition != Repetition::kRequired},
                      resolved.conversion};
    return result;
  } catch (Error& error) {
    throw std::move(error.With("column", name));
  }
}

}  // namespace sluice::parquet
