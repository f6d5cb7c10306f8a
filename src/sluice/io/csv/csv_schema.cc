#include "sluice/io/csv/csv_schema.h"

#include "sluice/base/error.h"

namespace sluice::csv {

DataType ParseCsvType(std::string_view name) {
  static const std::map<std::string, DataType, std::less<>> kTypes = {
      {"bool", DataType::Bool()},
      {"int8", DataType::Int8()},
      {"int16", DataType::Int16()},
      {"int32", DataType::Int32()},
      {"int64", DataType::Int64()},
      {"uint8", DataType::UInt8()},
      {"uint16", DataType::UInt16()},
      {"uint32", DataType::UInt32()},
      {"uint64", DataType::UInt64()},
      {"float32", DataType::Float32()},
      {"float", DataType::Float32()},
      {"float64", DataType::Float64()},
      {"double", DataType::Float64()},
      {"string", DataType::String()},
      {"binary", DataType::Binary()},
      {"date32", DataType::Date32()},
      {"date", DataType::Date32()},
      {"timestamp", DataType::Timestamp(TimeUnit::kMicro)},
      {"text", DataType::String()},
      {"timestamptz", DataType::Timestamp(TimeUnit::kMicro, "UTC")},
  };
  auto it = kTypes.find(name);
  if (it == kTypes.end()) {
    throw InvalidArgument(
        "unknown column type '{}'; use bool, int8..int64, uint8..uint64, float32, float64, "
        "string, binary, date32, timestamp or timestamptz",
        name);
  }
  return it->second;
}

std::map<std::string, DataType> ParseColumnTypes(std::string_view spec) {
  std::map<std::string, DataType> out;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view entry = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (entry.empty()) continue;
    const size_t eq = entry.find_last_of(":=");
    if (eq == std::string_view::npos || eq == 0) {
      throw InvalidArgument("schema entry '{}' is not name:type", entry);
    }
    try {
      out.insert_or_assign(std::string(entry.substr(0, eq)), ParseCsvType(entry.substr(eq + 1)));
    } catch (Error& e) {
      throw std::move(e).With("schema entry", std::string(entry));
    }
  }
  return out;
}

bool IsCsvReadableType(const DataType& type) {
  switch (type.id()) {
    case TypeId::kBool:
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kDate32:
      return true;
    case TypeId::kTimestamp:
      return type.unit() == TimeUnit::kMicro;
    default:
      return false;
  }
}

}  // namespace sluice::csv
