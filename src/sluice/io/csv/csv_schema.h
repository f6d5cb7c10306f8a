// Column types of a CSV stream: inference from a sample of rows and user overrides
// (`--schema id=int64,email=string`). Inference picks, per column, the first of bool, int64,
// float64, date32, timestamp[us] that every non-null sample value parses as; otherwise (or
// when every sampled value is null) string.
//
// Thread safety: pure functions; ColumnTypeInference is used by one thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/table/type.h"

namespace sluice::csv {

// Parses "name=type,name=type"; types: bool, int8..int64, uint8..uint64, float32 (float),
// float64 (double), string, binary, date32 (date), timestamp (microseconds). InvalidArgument
// naming the bad entry otherwise.
std::map<std::string, DataType> ParseColumnTypes(std::string_view spec);
DataType ParseCsvType(std::string_view name);
// True for the types the CSV reader can produce.
bool IsCsvReadableType(const DataType& type);

class ColumnTypeInference {
 public:
  explicit ColumnTypeInference(size_t columns);
  // Offers one non-null value of a column.
  void Observe(size_t column, std::string_view text);
  DataType Result(size_t column) const;

 private:
  enum Candidate : uint8_t { kBool = 1, kInt = 2, kFloat = 4, kDate = 8, kTimestamp = 16 };
  std::vector<uint8_t> candidates_;
  std::vector<bool> seen_;
};

}  // namespace sluice::csv
