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
      return 0;
  }
  return 0;
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

Layout DataType::layout() const {
  switch (id_) {
    case TypeId::kBool:
      return Layout::kBitmap;
    case TypeId::kString:
    case TypeId::kBinary:
      return Layout::kVariableBinary;
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
  }
  SLUICE_CHECK(false);
  return "";
}

}  // namespace sluice
