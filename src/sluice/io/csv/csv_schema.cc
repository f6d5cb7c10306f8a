#include "sluice/io/csv/csv_schema.h"

#include "sluice/base/error.h"
#include "sluice/io/csv/value_parser.h"

namespace sluice::csv {

DataType ParseCsvType(std::string_view name) {
  static const std::map<std::string, DataType, std::less<>> kTypes = {
      {"bool", DataType::Bool()},      {"int8", DataType::Int8()},
      {"int16", DataType::Int16()},    {"int32", DataType::Int32()},
      {"int64", DataType::Int64()},    {"uint8", DataType::UInt8()},
      {"uint16", DataType::UInt16()},  {"uint32", DataType::UInt32()},
      {"uint64", DataType::UInt64()},  {"float32", DataType::Float32()},
      {"float", DataType::Float32()},  {"float64", DataType::Float64()},
      {"double", DataType::Float64()}, {"string", DataType::String()},
      {"binary", DataType::Binary()},  {"date32", DataType::Date32()},
      {"date", DataType::Date32()},    {"timestamp", DataType::Timestamp(TimeUnit::kMicro)},
  };
  auto it = kTypes.find(name);
  if (it == kTypes.end()) {
    throw InvalidArgument(
        "unknown column type '{}'; use bool, int8..int64, uint8..uint64, float32, float64, "
        "string, binary, date32 or timestamp",
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
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw InvalidArgument("schema entry '{}' is not name=type", entry);
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

ColumnTypeInference::ColumnTypeInference(size_t columns)
    : candidates_(columns, kBool | kInt | kFloat | kDate | kTimestamp), seen_(columns, false) {}

void ColumnTypeInference::Observe(size_t column, std::string_view text) {
  uint8_t& c = candidates_.at(column);
  seen_[column] = true;
  if (c == 0) return;
  bool b;
  int64_t i;
  double d;
  int32_t date;
  int64_t ts;
  if ((c & kBool) && !ParseBool(text, b)) c &= ~kBool;
  if ((c & kInt) && !ParseInt64(text, i)) c &= ~kInt;
  if ((c & kFloat) && !ParseFloat64(text, d)) c &= ~kFloat;
  if ((c & kDate) && !ParseDate32(text, date)) c &= ~kDate;
  if ((c & kTimestamp) && !ParseTimestampMicros(text, ts)) c &= ~kTimestamp;
}

DataType ColumnTypeInference::Result(size_t column) const {
  const uint8_t c = candidates_.at(column);
  if (!seen_[column]) return DataType::String();
  if (c & kBool) return DataType::Bool();
  if (c & kInt) return DataType::Int64();
  if (c & kFloat) return DataType::Float64();
  if (c & kDate) return DataType::Date32();
  if (c & kTimestamp) return DataType::Timestamp(TimeUnit::kMicro);
  return DataType::String();
}

}  // namespace sluice::csv
