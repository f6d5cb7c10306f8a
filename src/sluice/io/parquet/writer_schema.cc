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

// The physical type, annotations and conversion of a flat field's values.
void SetLeafType(const Field& field, WriterColumn& c) {
  {
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
        throw InternalError("{} is not a leaf type", type.ToString()).With("column", field.name);
    }
    c.element.type = c.physical_type;
    if (c.physical_type == PhysicalType::kFixedLenByteArray) c.element.type_length = c.type_length;
  }
}

SchemaElement Group(const std::string& name, Repetition repetition, int32_t children) {
  SchemaElement group;
  group.name = name;
  group.repetition_type = repetition;
  group.num_children = children;
  return group;
}

Repetition Nullable(bool nullable) {
  return nullable ? Repetition::kOptional : Repetition::kRequired;
}

// Appends the leaves of `field` (nested at `steps` below top-level field `index`), the groups
// above each leaf going out with the first leaf below them. Lists and maps take the standard
// three-level forms: <name> (LIST) > repeated group list > element, and <name> (MAP) > repeated
// group key_value > key, value.
void AddField(const Field& field, WriterColumn base, std::vector<WriterColumn>* columns) {
  const DataType& type = field.type;
  base.path.push_back(field.name);
  base.max_definition_level += field.nullable ? 1 : 0;
  if (!type.is_nested()) {
    WriterColumn c = std::move(base);
    c.nullable = field.nullable;
    c.element.name = field.name;
    c.element.repetition_type = Nullable(field.nullable);
    SetLeafType(field, c);
    columns->push_back(std::move(c));
    return;
  }
  if (type.id() == TypeId::kStruct) {
    if (type.num_fields() == 0) {
      throw NotSupported("a struct without fields has no Parquet form").With("column", field.name);
    }
    base.groups.push_back(Group(field.name, Nullable(field.nullable), type.num_fields()));
    for (int k = 0; k < type.num_fields(); ++k) {
      WriterColumn child = base;
      if (k > 0) child.groups.clear();
      child.steps.push_back(k);
      AddField(type.field(k), std::move(child), columns);
    }
    return;
  }
  // list, large_list, fixed_size_list (as a list) and map.
  const bool map = type.id() == TypeId::kMap;
  SchemaElement outer = Group(field.name, Nullable(field.nullable), 1);
  outer.logical_type =
      LogicalType{.kind = map ? LogicalType::Kind::kMap : LogicalType::Kind::kList};
  outer.converted_type = map ? ConvertedType::kMap : ConvertedType::kList;
  base.groups.push_back(outer);
  base.groups.push_back(Group(map ? "key_value" : "list", Repetition::kRepeated, map ? 2 : 1));
  base.path.push_back(map ? "key_value" : "list");
  base.max_definition_level += 1;
  base.max_repetition_level += 1;
  base.steps.push_back(0);
  if (!map) {
    Field element = type.field(0);
    element.name = "element";
    AddField(element, std::move(base), columns);
    return;
  }
  const DataType& entries = type.value_type();
  WriterColumn key = base;
  key.steps.push_back(0);
  AddField(Field{"key", entries.field(0).type, false}, std::move(key), columns);
  WriterColumn value = std::move(base);
  value.groups.clear();
  value.steps.push_back(1);
  AddField(Field{"value", entries.field(1).type, entries.field(1).nullable}, std::move(value),
           columns);
}

}  // namespace

std::vector<WriterColumn> MakeWriterColumns(const Schema& schema) {
  std::vector<WriterColumn> columns;
  for (int f = 0; f < schema.num_fields(); ++f) {
    WriterColumn base;
    base.field_index = f;
    base.field_nullable = schema.field(f).nullable;
    AddField(schema.field(f), std::move(base), &columns);
  }
  return columns;
}

std::vector<SchemaElement> MakeSchemaElements(const std::vector<WriterColumn>& columns) {
  std::vector<SchemaElement> elements;
  SchemaElement root;
  root.name = "schema";
  root.num_children = columns.empty() ? 0 : columns.back().field_index + 1;
  elements.push_back(root);
  for (const WriterColumn& column : columns) {
    elements.insert(elements.end(), column.groups.begin(), column.groups.end());
    elements.push_back(column.element);
  }
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
