// Readable text for arrays and record batches, for logs, test failures and the CLI. Values print
// as: null, integers and floats in shortest round-trip form, bools true/false, strings as text
// (control characters escaped as \n, \t, \xNN), binary as 0x-prefixed hex, date32 as 2024-01-31,
// timestamps as 2024-01-31 12:34:56[.fraction] in UTC (a zoned column's header names the zone),
// decimals scaled ("-12.30"), lists as [1, null, 3], structs as {a: 1, b: x}, maps as
// {k1: v1, k2: v2}.
//
// A batch prints as an aligned table, one header line "name: type" per column:
//   id: int64 | name: string
//   ----------+-------------
//           1 | alice
//        null | bob
//   (2 rows)
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

struct PrintOptions {
  int64_t max_rows = 20;   // rows after this are summarised as "... N more rows"
  int64_t max_width = 40;  // longer cells are cut and end in "..."
};

std::string FormatValue(const Array& array, int64_t i);
// "[1, null, 3]" (strings quoted).
std::string ToString(const Array& array, const PrintOptions& options = {});
std::string ToString(const RecordBatch& batch, const PrintOptions& options = {});

std::ostream& operator<<(std::ostream& out, const Array& array);
std::ostream& operator<<(std::ostream& out, const RecordBatch& batch);

}  // namespace sluice
