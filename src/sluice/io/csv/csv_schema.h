// Column types given by the user, which override inference (type_inference.h):
// `--schema zip:string,id:int64` (or `zip=string`).
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "sluice/table/type.h"

namespace sluice::csv {

// Parses "name:type,name:type" ('=' may stand for ':'; a name may hold either, as the type is
// what follows the last one); types: bool, int8..int64, uint8..uint64, float32 (float), float64
// (double), string (text), binary, date32 (date), timestamp (microseconds), timestamptz
// (microseconds, UTC). InvalidArgument naming the bad entry otherwise.
std::map<std::string, DataType> ParseColumnTypes(std::string_view spec);
DataType ParseCsvType(std::string_view name);
// True for the types the CSV reader can produce.
bool IsCsvReadableType(const DataType& type);

}  // namespace sluice::csv
