#include "sluice/io/csv/type_inference.h"

#include <cctype>

#include "sluice/io/csv/value_parser.h"

namespace sluice::csv {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// What a number's text is, for inference (the text already parses as a double, or not).
enum class NumberText {
  kInteger,     // canonical int64: -?(0|[1-9][0-9]*), within range, not -0
  kExpInteger,  // digits with an exponent and no point: 1e5, 1e-05
  kDecimal,     // a point: 1.5, .5, 1., 1.5e3, -0.0; or an infinity or NaN word (inf, nan)
  kLossy,       // would not read back: 08123, +1, 01.5, integers past int64
};

NumberText ClassifyNumber(std::string_view t) {
  if (t.empty() || t[0] == '+') return NumberText::kLossy;
  const bool negative = t[0] == '-';
  std::string_view m = negative ? t.substr(1) : t;
  size_t digits = 0;
  while (digits < m.size() && IsDigit(m[digits])) ++digits;
  if (digits > 1 && m[0] == '0') return NumberText::kLossy;  // a leading zero, then a digit
  if (digits == m.size()) {
    int64_t v;
    if (digits == 0 || (negative && m == "0") || !ParseInt64(t, v)) return NumberText::kLossy;
    return NumberText::kInteger;
  }
  const char next = m[digits];
  // A letter first: a word that parses as a double is infinity or NaN (DuckDB reads them too).
  if (next == '.' || (digits == 0 && std::isalpha(static_cast<unsigned char>(next)))) {
    return NumberText::kDecimal;
  }
  if (digits > 0 && (next == 'e' || next == 'E')) return NumberText::kExpInteger;
  return NumberText::kLossy;
}

// After ParseTimestampMicros succeeded: whether it names a zone, and its fraction digits.
struct TimestampText {
  bool zoned = false;
  size_t fraction_digits = 0;
};

TimestampText ShapeOfTimestamp(std::string_view t) {
  TimestampText shape;
  size_t pos = 19;  // past YYYY-MM-DD?HH:MM:SS
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    while (pos < t.size() && IsDigit(t[pos])) ++pos, ++shape.fraction_digits;
  }
  shape.zoned = pos < t.size();
  return shape;
}

}  // namespace

ColumnTypeInference::ColumnTypeInference(size_t columns) : columns_(columns) {}

void ColumnTypeInference::Observe(size_t column, std::string_view text) {
  Column& col = columns_.at(column);
  uint8_t& c = col.candidates;
  col.seen = true;
  if (c == 0) return;
  bool b;
  double d;
  int32_t date;
  int64_t ts;
  if ((c & kBool) && !ParseBool(text, b)) c &= ~kBool;
  if ((c & (kInt | kFloat)) && ParseFloat64(text, d)) {
    switch (ClassifyNumber(text)) {
      case NumberText::kInteger:
        break;
      case NumberText::kExpInteger:
        c &= ~kInt;
        col.exp_integer = true;
        break;
      case NumberText::kDecimal:
        c &= ~kInt;
        col.decimal = true;
        break;
      case NumberText::kLossy:
        c &= ~(kInt | kFloat);
        break;
    }
  } else {
    c &= ~(kInt | kFloat);
  }
  if ((c & kDate) && !ParseDate32(text, date)) c &= ~kDate;
  if (c & kTimestamp) {
    if (!ParseTimestampMicros(text, ts)) {
      c &= ~kTimestamp;
    } else {
      const TimestampText shape = ShapeOfTimestamp(text);
      (shape.zoned ? col.zoned : col.naive) = true;
      if (shape.fraction_digits > 6 || (col.zoned && col.naive)) c &= ~kTimestamp;
    }
  }
}

DataType ColumnTypeInference::Result(size_t column) const {
  const Column& col = columns_.at(column);
  const uint8_t c = col.candidates;
  if (!col.seen) return DataType::String();
  if (c & kBool) return DataType::Bool();
  if (c & kInt) return DataType::Int64();
  // Exponent forms of integers alone would print as other digits (1e5 as 100000).
  if ((c & kFloat) && (col.decimal || !col.exp_integer)) return DataType::Float64();
  if (c & kDate) return DataType::Date32();
  if (c & kTimestamp) return DataType::Timestamp(TimeUnit::kMicro, col.zoned ? "UTC" : "");
  return DataType::String();
}

bool RoundTrips(const DataType& type, std::string_view text) {
  if (text.empty()) return true;  // parses as none of these types
  switch (type.id()) {
    case TypeId::kInt64: {  // the text parses as int64 already: look only at how it starts
      const std::string_view m = text[0] == '-' ? text.substr(1) : text;
      return text[0] != '+' && (m[0] != '0' || text == "0");
    }
    case TypeId::kFloat64:
      return ClassifyNumber(text) != NumberText::kLossy;
    case TypeId::kTimestamp: {
      const TimestampText shape = ShapeOfTimestamp(text);
      return shape.fraction_digits <= 6 && shape.zoned == !type.timezone().empty();
    }
    default:
      return true;
  }
}

}  // namespace sluice::csv
