// Type inference for CSV columns, under one rule: a column gets a type only if every sampled
// value would be written back as the same text; otherwise it stays a string. So inference picks,
// per column, the first of bool, int64, float64, date32, timestamp[us] (timestamp[us, UTC] when
// every value carries a zone) that every non-null sample value parses as and round-trips
// through; a column with no non-null value is a string. What keeps a column a string, although
// the value parses:
//   - integers with a leading zero (08123; 0 alone is fine), a leading '+' (+1), a negative zero
//     (-0, -08), or more digits than int64 holds (never read as a double that loses digits);
//   - exponent forms of integers (1e5, which would print as 100000) unless the column also has
//     decimals (1e-05 beside 0.5 is a float column, as pandas writes it): then the column is
//     float64, as DuckDB reads it. Decimals themselves stay float64 even when their text would
//     not print back the same (1.50, .5, 1.5e3, 20 significant digits, nan, inf), as in
//     DuckDB;
//     decimals with a leading zero (01.5) or '+' (+1.5) keep the column a string;
//   - timestamps with more than 6 fraction digits (nanoseconds), and columns that mix values with
//     a zone (Z, +01:00) and without; dates other than YYYY-MM-DD, and columns that mix dates
//     and timestamps, are strings already.
// Values past the sample are held to the same rule by RoundTrips (the reader's error otherwise).
//
// Thread safety: a ColumnTypeInference is used by one thread; RoundTrips is a pure function.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sluice/table/type.h"

namespace sluice::csv {

class ColumnTypeInference {
 public:
  explicit ColumnTypeInference(size_t columns);
  // Offers one non-null value of a column.
  void Observe(size_t column, std::string_view text);
  DataType Result(size_t column) const;

 private:
  enum Candidate : uint8_t { kBool = 1, kInt = 2, kFloat = 4, kDate = 8, kTimestamp = 16 };
  struct Column {
    uint8_t candidates = kBool | kInt | kFloat | kDate | kTimestamp;
    bool seen = false;
    bool decimal = false;      // a float value with a '.' was seen
    bool exp_integer = false;  // an exponent form of an integer (1e5) was seen
    bool zoned = false;        // a timestamp with a zone was seen
    bool naive = false;        // a timestamp without a zone was seen
  };
  std::vector<Column> columns_;
};

// Whether `text`, which parses as `type` (an inferred type), would be written back as the same
// text under the rule above (for float64: not a leading zero, '+', or digits past int64).
bool RoundTrips(const DataType& type, std::string_view text);

}  // namespace sluice::csv
