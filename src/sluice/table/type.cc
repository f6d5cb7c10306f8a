#include "sluice/table/type.h"

#include <fmt/format.h>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {

std::string_view TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond:
      return "s";
    case TimeUnit::kMilli:
      return "ms";
    case TimeUnit::kMicro:
      return "us";
    case TimeUnit::kNano:
      return "ns";
  }
  return "?";
}

namespace {

int32_t FixedWidthOf(TypeId id) {
  switch (id) {
    case TypeId::kInt8:
    case TypeId::kUInt8:
      return 1;
    case TypeId::kInt16:
    case TypeId::kUInt16:
      return 2;
    case TypeId::kInt32:
    case TypeId::kUInt32:
    case TypeId::kFloat32:
    case TypeId::kDate32:
      return 4;
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kFloat64:
    case TypeId::kTimestamp:
      return 8;
    case TypeId::kDecimal128:
      return 16;
    case TypeId::kBool:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return 0;
  }
  return 0;
}

// A list's element or a map's value: its type, and " not null" when it cannot be null.
std::string ElementString(const Field& field) {
  return field.type.ToString() + (field.nullable ? "" : " not null");
}

}  // namespace

DataType::DataType(TypeId id) : id_(id), byte_width_(FixedWidthOf(id)) {}

DataType DataType::FixedSizeBinary(int32_t byte_width) {
  if (byte_width < 0) {
    throw InvalidArgument("fixed_size_binary width must not be negative, got {}", byte_width);
  }
  DataType type(TypeId::kFixedSizeBinary);
  type.byte_width_ = byte_width;
  return type;
}

DataType DataType::Timestamp(TimeUnit unit, std::string timezone) {
  DataType type(TypeId::kTimestamp);
  type.unit_ = unit;
  type.timezone_ = std::move(timezone);
  return type;
}

DataType DataType::Decimal128(int32_t precision, int32_t scale) {
  if (precision < 1 || precision > 38) {
    throw InvalidArgument("decimal128 precision must be in 1..38, got {}", precision);
  }
  if (scale > precision) {
    throw InvalidArgument("decimal128 scale {} exceeds precision {}", scale, precision);
  }
  DataType type(TypeId::kDecimal128);
  type.precision_ = precision;
  type.scale_ = scale;
  return type;
}

DataType DataType::List(DataType value_type, bool value_nullable) {
  return List(Field{"item", std::move(value_type), value_nullable});
}

DataType DataType::List(Field value_field) {
  DataType type(TypeId::kList);
  type.fields_ = std::make_shared<const std::vector<Field>>(1, std::move(value_field));
  return type;
}

DataType DataType::LargeList(Field value_field) {
  DataType type = List(std::move(value_field));
  type.id_ = TypeId::kLargeList;
  return type;
}

DataType DataType::FixedSizeList(Field value_field, int32_t list_size) {
  if (list_size < 0) {
    throw InvalidArgument("fixed_size_list size must not be negative, got {}", list_size);
  }
  DataType type = List(std::move(value_field));
  type.id_ = TypeId::kFixedSizeList;
  type.list_size_ = list_size;
  return type;
}

DataType DataType::Struct(std::vector<Field> fields) {
  DataType type(TypeId::kStruct);
  type.fields_ = std::make_shared<const std::vector<Field>>(std::move(fields));
  return type;
}

DataType DataType::Map(DataType key_type, DataType value_type, bool value_nullable,
                       bool keys_sorted) {
  DataType entries = Struct({Field{"key", std::move(key_type), false},
                             Field{"value", std::move(value_type), value_nullable}});
  DataType type = List(Field{"entries", std::move(entries), false});
  type.id_ = TypeId::kMap;
  type.keys_sorted_ = keys_sorted;
  return type;
}

namespace {
const std::vector<Field> no_fields;
}  // namespace

int DataType::num_fields() const {
  return fields_ == nullptr ? 0 : static_cast<int>(fields_->size());
}

const std::vector<Field>& DataType::fields() const {
  return fields_ == nullptr ? no_fields : *fields_;
}

const Field& DataType::field(int i) const { return fields().at(static_cast<size_t>(i)); }

const DataType& DataType::value_type() const {
  SLUICE_CHECK(is_list_like());
  return (*fields_)[0].type;
}

bool operator==(const DataType& a, const DataType& b) {
  if (a.id_ != b.id_ || a.unit_ != b.unit_ || a.byte_width_ != b.byte_width_ ||
      a.precision_ != b.precision_ || a.scale_ != b.scale_ || a.timezone_ != b.timezone_ ||
      a.list_size_ != b.list_size_ || a.keys_sorted_ != b.keys_sorted_ ||
      a.num_fields() != b.num_fields()) {
    return false;
  }
  if (a.fields_ == b.fields_) return true;
  // A list's element and a map's entries are spelled differently by each writer ("item",
  // "element", "l"); only a struct's field names are part of its type.
  bool names_matter = a.id_ == TypeId::kStruct;
  for (int i = 0; i < a.num_fields(); ++i) {
    const Field& x = a.field(i);
    const Field& y = b.field(i);
    if (x.type != y.type || x.nullable != y.nullable || (names_matter && x.name != y.name)) {
      return false;
    }
  }
  return true;
}

std::string Field::ToString() const {
  return fmt::format("{}: {}{}", name, type.ToString(), nullable ? "" : " not null");
}

Layout DataType::layout() const {
  switch (id_) {
    case TypeId::kBool:
      return Layout::kBitmap;
    case TypeId::kString:
    case TypeId::kBinary:
      return Layout::kVariableBinary;
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return Layout::kNested;
    default:
      return Layout::kFixedWidth;
  }
}

std::string DataType::ToString() const {
  switch (id_) {
    case TypeId::kBool:
      return "bool";
    case TypeId::kInt8:
      return "int8";
    case TypeId::kInt16:
      return "int16";
    case TypeId::kInt32:
      return "int32";
    case TypeId::kInt64:
      return "int64";
    case TypeId::kUInt8:
      return "uint8";
    case TypeId::kUInt16:
      return "uint16";
    case TypeId::kUInt32:
      return "uint32";
    case TypeId::kUInt64:
      return "uint64";
    case TypeId::kFloat32:
      return "float32";
    case TypeId::kFloat64:
      return "float64";
    case TypeId::kString:
      return "string";
    case TypeId::kBinary:
      return "binary";
    case TypeId::kDate32:
      return "date32";
    case TypeId::kFixedSizeBinary:
      return fmt::format("fixed_size_binary[{}]", byte_width_);
    case TypeId::kTimestamp:
      if (timezone_.empty()) return fmt::format("timestamp[{}]", TimeUnitName(unit_));
      return fmt::format("timestamp[{}, tz={}]", TimeUnitName(unit_), timezone_);
    case TypeId::kDecimal128:
      return fmt::format("decimal128({}, {})", precision_, scale_);
    case TypeId::kList:
      return fmt::format("list<{}>", ElementString(field(0)));
    case TypeId::kLargeList:
      return fmt::format("large_list<{}>", ElementString(field(0)));
    case TypeId::kFixedSizeList:
      return fmt::format("fixed_size_list<{}>[{}]", ElementString(field(0)), list_size_);
    case TypeId::kMap: {
      const DataType& entries = value_type();
      return fmt::format("map<{}, {}>{}", entries.field(0).type.ToString(),
                         ElementString(entries.field(1)), keys_sorted_ ? " sorted" : "");
    }
    case TypeId::kStruct: {
      std::string out = "struct<";
      for (int i = 0; i < num_fields(); ++i) {
        if (i > 0) out += ", ";
        out += field(i).ToString();
      }
      return out + ">";
    }
  }
  SLUICE_CHECK(false);
  return "";
}

}  // namespace sluice
