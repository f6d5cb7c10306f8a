#include "sluice/table/arrow_format.h"

#include <fmt/format.h>

#include <charconv>

#include "sluice/base/error.h"

namespace sluice {
namespace {

int32_t ParseInt(std::string_view text, std::string_view format) {
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw InvalidData("malformed arrow format string '{}'", format);
  }
  return value;
}

}  // namespace

std::string ArrowFormat(const DataType& type) {
  switch (type.id()) {
    case TypeId::kBool:
      return "b";
    case TypeId::kInt8:
      return "c";
    case TypeId::kUInt8:
      return "C";
    case TypeId::kInt16:
      return "s";
    case TypeId::kUInt16:
      return "S";
    case TypeId::kInt32:
      return "i";
    case TypeId::kUInt32:
      return "I";
    case TypeId::kInt64:
      return "l";
    case TypeId::kUInt64:
      return "L";
    case TypeId::kFloat32:
      return "f";
    case TypeId::kFloat64:
      return "g";
    case TypeId::kString:
      return "u";
    case TypeId::kBinary:
      return "z";
    case TypeId::kFixedSizeBinary:
      return fmt::format("w:{}", type.byte_width());
    case TypeId::kDate32:
      return "tdD";
    case TypeId::kTimestamp: {
      char unit = "smun"[static_cast<int>(type.unit())];
      return fmt::format("ts{}:{}", unit, type.timezone());
    }
    case TypeId::kDecimal128:
      return fmt::format("d:{},{}", type.precision(), type.scale());
    case TypeId::kList:
      return "+l";
    case TypeId::kLargeList:
      return "+L";
    case TypeId::kFixedSizeList:
      return fmt::format("+w:{}", type.list_size());
    case TypeId::kStruct:
      return "+s";
    case TypeId::kMap:
      return "+m";
  }
  throw InternalError("no arrow format for {}", type.ToString());
}

DataType ParseArrowFormat(std::string_view format) {
  if (format.size() == 1) {
    switch (format[0]) {
      case 'b':
        return DataType::Bool();
      case 'c':
        return DataType::Int8();
      case 'C':
        return DataType::UInt8();
      case 's':
        return DataType::Int16();
      case 'S':
        return DataType::UInt16();
      case 'i':
        return DataType::Int32();
      case 'I':
        return DataType::UInt32();
      case 'l':
        return DataType::Int64();
      case 'L':
        return DataType::UInt64();
      case 'f':
        return DataType::Float32();
      case 'g':
        return DataType::Float64();
      case 'u':
        return DataType::String();
      case 'z':
        return DataType::Binary();
      default:
        break;
    }
  }
  if (format == "tdD") return DataType::Date32();
  if (format.starts_with("w:"))
    return DataType::FixedSizeBinary(ParseInt(format.substr(2), format));
  if (format.size() >= 4 && format.starts_with("ts") && format[3] == ':') {
    std::string timezone(format.substr(4));
    switch (format[2]) {
      case 's':
        return DataType::Timestamp(TimeUnit::kSecond, timezone);
      case 'm':
        return DataType::Timestamp(TimeUnit::kMilli, timezone);
      case 'u':
        return DataType::Timestamp(TimeUnit::kMicro, timezone);
      case 'n':
        return DataType::Timestamp(TimeUnit::kNano, timezone);
      default:
        break;
    }
  }
  if (format.starts_with("d:")) {
    std::string_view rest = format.substr(2);
    size_t comma = rest.find(',');
    if (comma == std::string_view::npos)
      throw InvalidData("malformed arrow format string '{}'", format);
    int32_t precision = ParseInt(rest.substr(0, comma), format);
    rest = rest.substr(comma + 1);
    comma = rest.find(',');
    int32_t scale = ParseInt(rest.substr(0, comma), format);
    if (comma != std::string_view::npos && ParseInt(rest.substr(comma + 1), format) != 128) {
      throw NotSupported("arrow decimal format '{}': only 128-bit decimals are supported", format);
    }
    return DataType::Decimal128(precision, scale);
  }
  throw NotSupported("arrow format '{}' has no sluice type", format);
}

}  // namespace sluice
