// The LogicalType union: decoding, encoding and display names.
#include <fmt/format.h>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/thrift_struct_reader_internal.h"

namespace sluice::parquet {
namespace {

using T = ThriftType;
using K = LogicalType::Kind;

// Reads an empty-struct member of a union (the member's presence is the information).
void SkipEmptyStruct(ThriftStructReader& s, const ThriftField& f, const char* name) {
  s.Struct(f, name);
  s.Skip(f);
}

TimeUnit ReadTimeUnit(ThriftCompactReader& reader) {
  ThriftStructReader s(reader, "TimeUnit");
  std::optional<TimeUnit> unit;
  ThriftField f;
  while (s.Next(&f)) {
    if (f.id >= 1 && f.id <= 3) {
      SkipEmptyStruct(s, f, "unit");
      unit = static_cast<TimeUnit>(f.id);
    } else {
      s.Skip(f);
    }
  }
  s.Require(unit.has_value(), "MILLIS/MICROS/NANOS");
  return *unit;
}

// TimeType and TimestampType share their layout.
void ReadTimeLike(ThriftCompactReader& reader, const char* name, LogicalType* type) {
  static constexpr ThriftFieldSpec kFields[] = {{1, T::kBoolTrue}, {2, T::kStruct}};
  ThriftStructReader s(reader, name, kFields);
  bool has_utc = false;
  bool has_unit = false;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        type->is_adjusted_to_utc = s.Bool(f, "isAdjustedToUTC");
        has_utc = true;
        break;
      case 2:
        s.Struct(f, "unit");
        type->unit = ReadTimeUnit(reader);
        has_unit = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has_utc, "isAdjustedToUTC");
  s.Require(has_unit, "unit");
}

void ReadDecimalType(ThriftCompactReader& reader, LogicalType* type) {
  static constexpr ThriftFieldSpec kDecimalTypeFields[] = {{1, T::kI32}, {2, T::kI32}};
  ThriftStructReader s(reader, "DecimalType", kDecimalTypeFields);
  bool has_scale = false;
  bool has_precision = false;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        type->decimal_scale = s.I32(f, "scale");
        has_scale = true;
        break;
      case 2:
        type->decimal_precision = s.I32(f, "precision");
        has_precision = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has_scale, "scale");
  s.Require(has_precision, "precision");
}

void ReadIntType(ThriftCompactReader& reader, LogicalType* type) {
  static constexpr ThriftFieldSpec kIntTypeFields[] = {{1, T::kI8}, {2, T::kBoolTrue}};
  ThriftStructReader s(reader, "IntType", kIntTypeFields);
  bool has_width = false;
  bool has_signed = false;
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        type->bit_width = s.I8(f, "bitWidth");
        has_width = true;
        break;
      case 2:
        type->is_signed = s.Bool(f, "isSigned");
        has_signed = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has_width, "bitWidth");
  s.Require(has_signed, "isSigned");
}

// VariantType, GeometryType and GeographyType: all their fields are optional.
void ReadOptionalParams(ThriftCompactReader& reader, const char* name, LogicalType* type) {
  ThriftStructReader s(reader, name);
  ThriftField f;
  while (s.Next(&f)) {
    if (type->kind == LogicalType::Kind::kVariant && f.id == 1) {
      type->variant_specification_version = s.I8(f, "specification_version");
    } else if (type->kind != LogicalType::Kind::kVariant && f.id == 1) {
      type->crs = s.String(f, "crs");
    } else if (type->kind == LogicalType::Kind::kGeography && f.id == 2) {
      type->edge_interpolation = s.I32(f, "algorithm");
    } else {
      s.Skip(f);
    }
  }
}

}  // namespace

LogicalType ReadLogicalType(ThriftCompactReader& reader) {
  ThriftStructReader s(reader, "LogicalType");
  LogicalType type;
  bool has_member = false;
  ThriftField f;
  while (s.Next(&f)) {
    if (f.type != T::kStruct) {
      s.Skip(f);
      continue;
    }
    has_member = true;
    type = LogicalType{};
    switch (f.id) {
      case 5:
        type.kind = K::kDecimal;
        ReadDecimalType(reader, &type);
        break;
      case 7:
        type.kind = K::kTime;
        ReadTimeLike(reader, "TimeType", &type);
        break;
      case 8:
        type.kind = K::kTimestamp;
        ReadTimeLike(reader, "TimestampType", &type);
        break;
      case 10:
        type.kind = K::kInteger;
        ReadIntType(reader, &type);
        break;
      case 16:
      case 17:
      case 18:
        type.kind = static_cast<K>(f.id);
        ReadOptionalParams(reader, "LogicalType member", &type);
        break;
      case 1:
      case 2:
      case 3:
      case 4:
      case 6:
      case 11:
      case 12:
      case 13:
      case 14:
      case 15:
        type.kind = static_cast<K>(f.id);
        s.Skip(f);
        break;
      default:
        type.kind = K::kUnrecognized;
        type.unrecognized_id = f.id;
        s.Skip(f);
    }
  }
  s.Require(has_member, "member");
  return type;
}

void WriteLogicalType(const LogicalType& type, ThriftCompactWriter& writer) {
  writer.BeginStruct();
  int16_t id =
      type.kind == K::kUnrecognized ? type.unrecognized_id : static_cast<int16_t>(type.kind);
  writer.WriteFieldHeader(id, T::kStruct);
  writer.BeginStruct();
  switch (type.kind) {
    case K::kDecimal:
      writer.WriteFieldI32(1, type.decimal_scale);
      writer.WriteFieldI32(2, type.decimal_precision);
      break;
    case K::kTime:
    case K::kTimestamp:
      writer.WriteFieldBool(1, type.is_adjusted_to_utc);
      writer.WriteFieldHeader(2, T::kStruct);
      writer.BeginStruct();
      writer.WriteFieldHeader(static_cast<int16_t>(type.unit), T::kStruct);
      writer.BeginStruct();
      writer.EndStruct();
      writer.EndStruct();
      break;
    case K::kInteger:
      writer.WriteFieldI8(1, type.bit_width);
      writer.WriteFieldBool(2, type.is_signed);
      break;
    case K::kVariant:
      if (type.variant_specification_version) {
        writer.WriteFieldI8(1, *type.variant_specification_version);
      }
      break;
    case K::kGeometry:
    case K::kGeography:
      if (type.crs) writer.WriteFieldBinary(1, *type.crs);
      if (type.kind == K::kGeography && type.edge_interpolation) {
        writer.WriteFieldI32(2, *type.edge_interpolation);
      }
      break;
    default:
      break;
  }
  writer.EndStruct();
  writer.EndStruct();
}

std::string LogicalTypeName(const LogicalType& type) {
  auto unit = [&] {
    switch (type.unit) {
      case TimeUnit::kMillis:
        return "MILLIS";
      case TimeUnit::kMicros:
        return "MICROS";
      case TimeUnit::kNanos:
        return "NANOS";
    }
    return "?";
  };
  switch (type.kind) {
    case K::kString:
      return "STRING";
    case K::kMap:
      return "MAP";
    case K::kList:
      return "LIST";
    case K::kEnum:
      return "ENUM";
    case K::kDecimal:
      return fmt::format("DECIMAL({},{})", type.decimal_precision, type.decimal_scale);
    case K::kDate:
      return "DATE";
    case K::kTime:
      return fmt::format("TIME({},{})", unit(), type.is_adjusted_to_utc ? "UTC" : "local");
    case K::kTimestamp:
      return fmt::format("TIMESTAMP({},{})", unit(), type.is_adjusted_to_utc ? "UTC" : "local");
    case K::kInteger:
      return fmt::format("INTEGER({},{})", type.bit_width, type.is_signed ? "signed" : "unsigned");
    case K::kUnknown:
      return "UNKNOWN";
    case K::kJson:
      return "JSON";
    case K::kBson:
      return "BSON";
    case K::kUuid:
      return "UUID";
    case K::kFloat16:
      return "FLOAT16";
    case K::kVariant:
      return "VARIANT";
    case K::kGeometry:
      return "GEOMETRY";
    case K::kGeography:
      return "GEOGRAPHY";
    case K::kUnrecognized:
      break;
  }
  return fmt::format("UNRECOGNIZED({})", type.unrecognized_id);
}

}  // namespace sluice::parquet
