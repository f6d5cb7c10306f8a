#include "sluice/io/parquet/writer_schema.h"

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

LogicalType Integer(int bits, bool is_signed) {
  LogicalType type;
  type.kind = LogicalType::Kind::kInteger;
  type.bit_width = static_cast<int8_t>(bits);
  type.is_signed = is_signed;
  return type;
}

ConvertedType IntegerConverted(int bits, bool is_signed) {
  switch (bits) {
    case 8:
      return is_signed ? ConvertedType::kInt8 : ConvertedType::kUint8;
    case 16:
      return is_signed ? ConvertedType::kInt16 : ConvertedType::kUint16;
    case 32:
      return is_signed ? ConvertedType::kInt32 : ConvertedType::kUint32;
    default:
      return is_signed ? ConvertedType::kInt64 : ConvertedType::kUint64;
  }
}

// The fewest bytes whose two's complement holds every value of `precision` digits.
int32_t DecimalBytes(int32_t precision) {
  __int128 max = 1;
  for (int i = 0; i < precision; ++i) max *= 10;
  int32_t bytes = 1;
  while (bytes < 16 && (static_cast<__int128>(1) << (8 * bytes - 1)) < max) ++bytes;
  return bytes;
}

}  // namespace

std::vector<WriterColumn> MakeWriterColumns(const Schema& schema) {
  std::vector<WriterColumn> columns;
  for (const Field& field : schema.fields()) {
    WriterColumn c;
    c.nullable = field.nullable;
    c.element.name = field.name;
    c.element.repetition_type = field.nullable ? Repetition::kOptional : Repetition::kRequired;
    auto integer = [&](PhysicalType physical, int bits, bool is_signed, WriteConversion conv) {
      c.physical_type = physical;
      c.element.logical_type = Integer(bits, is_signed);
      c.element.converted_type = IntegerConverted(bits, is_signed);
      c.conversion = conv;
      c.sort_order = is_signed ? SortOrder::kSigned : SortOrder::kUnsigned;
    };
    const DataType& type = field.type;
    switch (type.id()) {
      case TypeId::kBool:
        c.physical_type = PhysicalType::kBoolean;
        c.sort_order = SortOrder::kBool;
        break;
      case TypeId::kInt8:
        integer(PhysicalType::kInt32, 8, true, WriteConversion::kWidenSigned);
        break;
      case TypeId::kInt16:
        integer(PhysicalType::kInt32, 16, true, WriteConversion::kWidenSigned);
        break;
      case TypeId::kInt32:
        c.physical_type = PhysicalType::kInt32;
        break;
      case TypeId::kInt64:
        c.physical_type = PhysicalType::kInt64;
        break;
      case TypeId::kUInt8:
        integer(PhysicalType::kInt32, 8, false, WriteConversion::kWidenUnsigned);
        break;
      case TypeId::kUInt16:
        integer(PhysicalType::kInt32, 16, false, WriteConversion::kWidenUnsigned);
        break;
      case TypeId::kUInt32:
        integer(PhysicalType::kInt32, 32, false, WriteConversion::kNone);
        break;
      case TypeId::kUInt64:
        integer(PhysicalType::kInt64, 64, false, WriteConversion::kNone);
        break;
      case TypeId::kFloat32:
        c.physical_type = PhysicalType::kFloat;
        c.sort_order = SortOrder::kFloat;
        break;
      case TypeId::kFloat64:
        c.physical_type = PhysicalType::kDouble;
        c.sort_order = SortOrder::kFloat;
        break;
      case TypeId::kString:
        c.physical_type = PhysicalType::kByteArray;
        c.element.logical_type = LogicalType{.kind = LogicalType::Kind::kString};
        c.element.converted_type = ConvertedType::kUtf8;
        c.sort_order = SortOrder::kUnsigned;
        break;
      case TypeId::kBinary:
        c.physical_type = PhysicalType::kByteArray;
        c.sort_order = SortOrder::kUnsigned;
        break;
      case TypeId::kFixedSizeBinary:
        if (type.byte_width() <= 0) {
          throw NotSupported("fixed_size_binary[0] has no Parquet form").With("column", field.name);
        }
        c.physical_type = PhysicalType::kFixedLenByteArray;
        c.type_length = type.byte_width();
        c.sort_order = SortOrder::kUnsigned;
        break;
      case TypeId::kDate32:
        c.physical_type = PhysicalType::kInt32;
        c.element.logical_type = LogicalType{.kind = LogicalType::Kind::kDate};
        c.element.converted_type = ConvertedType::kDate;
        break;
      case TypeId::kTimestamp: {
        c.physical_type = PhysicalType::kInt64;
        LogicalType logical{.kind = LogicalType::Kind::kTimestamp};
        logical.is_adjusted_to_utc = !type.timezone().empty();
        switch (type.unit()) {
          case sluice::TimeUnit::kSecond:
            c.conversion = WriteConversion::kSecondsToMillis;
            [[fallthrough]];
          case sluice::TimeUnit::kMilli:
            logical.unit = TimeUnit::kMillis;
            break;
          case sluice::TimeUnit::kMicro:
            logical.unit = TimeUnit::kMicros;
            break;
          case sluice::TimeUnit::kNano:
            logical.unit = TimeUnit::kNanos;
            break;
        }
        // The legacy types mean UTC instants, so only zoned millis and micros carry them.
        if (logical.is_adjusted_to_utc && logical.unit != TimeUnit::kNanos) {
          c.element.converted_type = logical.unit == TimeUnit::kMillis
                                         ? ConvertedType::kTimestampMillis
                                         : ConvertedType::kTimestampMicros;
        }
        c.element.logical_type = logical;
        break;
      }
      case TypeId::kDecimal128: {
        LogicalType logical{.kind = LogicalType::Kind::kDecimal};
        logical.decimal_precision = type.precision();
        logical.decimal_scale = type.scale();
        c.element.logical_type = logical;
        c.element.converted_type = ConvertedType::kDecimal;
        c.element.precision = type.precision();
        c.element.scale = type.scale();
        if (type.precision() <= 9) {
          c.physical_type = PhysicalType::kInt32;
          c.conversion = WriteConversion::kDecimalToInt32;
        } else if (type.precision() <= 18) {
          c.physical_type = PhysicalType::kInt64;
          c.conversion = WriteConversion::kDecimalToInt64;
        } else {
          c.physical_type = PhysicalType::kFixedLenByteArray;
          c.type_length = DecimalBytes(type.precision());
          c.conversion = WriteConversion::kDecimalToFixed;
        }
        break;
      }
      case TypeId::kList:
      case TypeId::kLargeList:
      case TypeId::kFixedSizeList:
      case TypeId::kStruct:
      case TypeId::kMap:
        throw NotSupported("writing nested columns ({}) is not supported yet", type.ToString())
            .With("column", field.name);
    }
    c.element.type = c.physical_type;
    if (c.physical_type == PhysicalType::kFixedLenByteArray) c.element.type_length = c.type_length;
    columns.push_back(std::move(c));
  }
  return columns;
}

std::vector<SchemaElement> MakeSchemaElements(const std::vector<WriterColumn>& columns) {
  std::vector<SchemaElement> elements;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(columns.size());
  elements.push_back(root);
  for (const WriterColumn& column : columns) elements.push_back(column.element);
  return elements;
}

FileMetaData MakeFileMetaData(const std::vector<WriterColumn>& columns, int64_t rows,
                              std::vector<RowGroup> row_groups, std::vector<KeyValue> key_values) {
  FileMetaData metadata;
  metadata.version = 2;
  metadata.schema = MakeSchemaElements(columns);
  metadata.num_rows = rows;
  metadata.row_groups = std::move(row_groups);
  metadata.key_value_metadata = std::move(key_values);
  metadata.created_by = "sluice";
  metadata.column_orders.assign(columns.size(), ColumnOrder::kTypeDefinedOrder);
  return metadata;
}

}  // namespace sluice::parquet
