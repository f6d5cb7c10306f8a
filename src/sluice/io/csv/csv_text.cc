#include "sluice/io/csv/csv_text.h"

#include "sluice/table/printer.h"

namespace sluice::csv {

std::string CellText(const Array& array, int64_t i) {
  const DataType& type = array.type();
  if (type.id() == TypeId::kString) return std::string(array.BinaryValue(i));
  std::string text = FormatValue(array, i);
  if (type.id() == TypeId::kTimestamp) {
    size_t space = text.find(' ');
    if (space != std::string::npos) text[space] = 'T';
    if (!type.timezone().empty()) text += 'Z';
  }
  return text;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void AppendCsvHeader(const Schema& schema, std::string& out) {
  for (int c = 0; c < schema.num_fields(); ++c) {
    if (c > 0) out += ',';
    out += CsvField(schema.field(c).name);
  }
  out += "\r\n";
}

void AppendCsvRow(const RecordBatch& batch, int64_t r, std::string& out) {
  for (int c = 0; c < batch.num_columns(); ++c) {
    if (c > 0) out += ',';
    const Array& column = batch.column(c);
    if (column.IsValid(r)) out += CsvField(CellText(column, r));
  }
  out += "\r\n";
}

}  // namespace sluice::csv
