// How sluice prints table cells as text: strings as they are, timestamps in ISO 8601 (with Z when
// UTC-adjusted), everything else as table/printer.h writes it (exact decimals, shortest
// round-trip floats, hex binary); and CSV fields and rows per RFC 4180 (quoted only when needed,
// nulls as empty fields, CRLF line ends). Shared by `cat` and every CSV output.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "sluice/table/record_batch.h"

namespace sluice::csv {

std::string CellText(const Array& array, int64_t i);
std::string CsvField(const std::string& text);
// Appends the header line of a schema to out.
void AppendCsvHeader(const Schema& schema, std::string& out);
// Appends row r of batch as one CSV line to out.
void AppendCsvRow(const RecordBatch& batch, int64_t r, std::string& out);

}  // namespace sluice::csv
