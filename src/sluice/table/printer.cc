#include "sluice/table/printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace sluice {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 to year/month/day in the proleptic Gregorian calendar (the
// era-of-400-years method).
std::string FormatDate(int64_t days) {
  days += 719468;
  int64_t era = FloorDiv(days, 146097);
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2);
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::string FormatTimestamp(int64_t value, TimeUnit unit) {
  int64_t per_second = 1;
  int digits = 0;
  switch (unit) {
    case TimeUnit::kSecond:
      break;
    case TimeUnit::kMilli:
      per_second = 1000;
      digits = 3;
      break;
    case TimeUnit::kMicro:
      per_second = 1000000;
      digits = 6;
      break;
    case TimeUnit::kNano:
      per_second = 1000000000;
      digits = 9;
      break;
  }
  int64_t seconds = FloorDiv(value, per_second);
  // Not value - seconds * per_second: the product overflows for values near the int64 limits.
  int64_t fraction = value % per_second;
  if (fraction < 0) fraction += per_second;
  int64_t days = FloorDiv(seconds, 86400);
  int64_t second_of_day = seconds - days * 86400;
  std::string out = fmt::format("{} {:02}:{:02}:{:02}", FormatDate(days), second_of_day / 3600,
                                second_of_day / 60 % 60, second_of_day % 60);
  if (fraction != 0) out += fmt::format(".{:0{}}", fraction, digits);
  return out;
}

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  std::string out = "0x";
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

bool RightAligned(const DataType& type) {
  switch (type.id()) {
    case TypeId::kBool:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
    case TypeId::kDate32:
    case TypeId::kTimestamp:
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return false;
    default:
      return true;
  }
}

std::string Cut(std::string text, int64_t max_width) {
  if (max_width > 3 && static_cast<int64_t>(text.size()) > max_width) {
    text.resize(static_cast<size_t>(max_width - 3));
    text += "...";
  }
  return text;
}

// A value inside a nested one: strings quoted, so ["a, b"] and ["a", "b"] differ.
std::string FormatElement(const Array& array, int64_t i) {
  std::string value = FormatValue(array, i);
  if (array.type().id() == TypeId::kString && array.IsValid(i)) return "\"" + value + "\"";
  return value;
}

std::string FormatNested(const Array& array, int64_t i) {
  const DataType& type = array.type();
  std::string out;
  if (type.id() == TypeId::kStruct) {
    out = "{";
    for (int k = 0; k < array.num_children(); ++k) {
      if (k > 0) out += ", ";
      out += type.field(k).name + ": " + FormatElement(array.child(k), array.offset() + i);
    }
    return out + "}";
  }
  const Array& values = array.child(0);
  bool map = type.id() == TypeId::kMap;
  out = map ? "{" : "[";
  for (int64_t r = array.ValueBegin(i); r < array.ValueEnd(i); ++r) {
    if (r > array.ValueBegin(i)) out += ", ";
    if (map) {
      int64_t row = values.offset() + r;
      out += FormatElement(values.child(0), row) + ": " + FormatElement(values.child(1), row);
    } else {
      out += FormatElement(values, r);
    }
  }
  return out + (map ? "}" : "]");
}

}  // namespace

std::string FormatValue(const Array& array, int64_t i) {
  if (array.IsNull(i)) return "null";
  const DataType& type = array.type();
  switch (type.id()) {
    case TypeId::kBool:
      return array.BoolValue(i) ? "true" : "false";
    case TypeId::kInt8:
      return fmt::format("{}", array.Value<int8_t>(i));
    case TypeId::kInt16:
      return fmt::format("{}", array.Value<int16_t>(i));
    case TypeId::kInt32:
      return fmt::format("{}", array.Value<int32_t>(i));
    case TypeId::kInt64:
      return fmt::format("{}", array.Value<int64_t>(i));
    case TypeId::kUInt8:
      return fmt::format("{}", array.Value<uint8_t>(i));
    case TypeId::kUInt16:
      return fmt::format("{}", array.Value<uint16_t>(i));
    case TypeId::kUInt32:
      return fmt::format("{}", array.Value<uint32_t>(i));
    case TypeId::kUInt64:
      return fmt::format("{}", array.Value<uint64_t>(i));
    case TypeId::kFloat32:
      return fmt::format("{}", array.Value<float>(i));
    case TypeId::kFloat64:
      return fmt::format("{}", array.Value<double>(i));
    case TypeId::kString:
      return EscapeText(array.BinaryValue(i));
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      return Hex(array.BinaryValue(i));
    case TypeId::kDate32:
      return FormatDate(array.Value<int32_t>(i));
    case TypeId::kTimestamp:
      return FormatTimestamp(array.Value<int64_t>(i), type.unit());
    case TypeId::kDecimal128:
      return FormatDecimal128(array.Value<Decimal128>(i), type.scale());
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return FormatNested(array, i);
  }
  return "?";
}

std::string ToString(const Array& array, const PrintOptions& options) {
  std::string out = "[";
  int64_t shown = std::min(array.length(), options.max_rows);
  bool quote = array.type().id() == TypeId::kString;
  for (int64_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    std::string value = Cut(FormatValue(array, i), options.max_width);
    out += quote && array.IsValid(i) ? "\"" + value + "\"" : value;
  }
  if (shown < array.length()) out += fmt::format(", ... {} more", array.length() - shown);
  return out + "]";
}

std::string ToString(const RecordBatch& batch, const PrintOptions& options) {
  int64_t shown = std::min(batch.num_rows(), options.max_rows);
  size_t columns = static_cast<size_t>(batch.num_columns());
  std::vector<std::vector<std::string>> cells(columns);
  std::vector<size_t> widths(columns);
  for (size_t c = 0; c < columns; ++c) {
    const Field& field = batch.schema().field(static_cast<int>(c));
    cells[c].push_back(field.name + ": " + field.type.ToString());
    for (int64_t r = 0; r < shown; ++r) {
      cells[c].push_back(Cut(FormatValue(batch.column(static_cast<int>(c)), r), options.max_width));
    }
    for (const std::string& cell : cells[c]) widths[c] = std::max(widths[c], cell.size());
  }
  std::string out;
  for (int64_t line = 0; line <= shown; ++line) {
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) out += " | ";
      const std::string& cell = cells[c][static_cast<size_t>(line)];
      bool right = line > 0 && RightAligned(batch.schema().field(static_cast<int>(c)).type);
      out +=
          right ? fmt::format("{:>{}}", cell, widths[c]) : fmt::format("{:<{}}", cell, widths[c]);
    }
    // No trailing spaces on the last column.
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
    if (line == 0) {
      for (size_t c = 0; c < columns; ++c) {
        if (c > 0) out += "-+-";
        out.append(widths[c], '-');
      }
      out += '\n';
    }
  }
  if (shown < batch.num_rows()) out += fmt::format("... {} more rows\n", batch.num_rows() - shown);
  out += fmt::format("({} rows)\n", batch.num_rows());
  return out;
}

std::ostream& operator<<(std::ostream& out, const Array& array) {
  return out << array.type().ToString() << " " << ToString(array);
}

std::ostream& operator<<(std::ostream& out, const RecordBatch& batch) {
  return out << "\n" << ToString(batch);
}

}  // namespace sluice
