// Arrow C Data Interface format strings for sluice's types, both ways:
//   b bool; c/C int8/uint8; s/S int16/uint16; i/I int32/uint32; l/L int64/uint64; f float32;
//   g float64; u string (utf8, int32 offsets); z binary; w:N fixed_size_binary[N]; tdD date32;
//   ts{s,m,u,n}:ZONE timestamp (empty ZONE = zone-less); d:P,S decimal128 (also read as
//   d:P,S,128); +l list, +L large_list, +w:N fixed_size_list, +s struct, +m map (whose
//   children come from the schema's children: ArrowFormat gives the parent's own format only,
//   and ParseArrowFormat takes flat formats only; arrow_import.h builds nested types).
// Formats sluice has no type for (large strings "U", views, unions, run-end encoding,
// decimal32/64/256, ...) raise NotSupported quoting the format.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "sluice/table/type.h"

namespace sluice {

std::string ArrowFormat(const DataType& type);
DataType ParseArrowFormat(std::string_view format);

}  // namespace sluice
