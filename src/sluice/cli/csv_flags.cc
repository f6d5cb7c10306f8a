#include "sluice/cli/csv_flags.h"

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_schema.h"

namespace sluice::cli {

void CsvFlags::Add(CLI::App& command) {
  const std::string group = "CSV input";
  command.add_option("--delimiter", delimiter, "CSV field delimiter (default , or tab for .tsv)")
      ->group(group);
  command.add_option("--quote", quote, "CSV quote character ('' for none)")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--escape", escape,
                  "CSV escape character, e.g. \\ (default: quotes are escaped by doubling)")
      ->group(group);
  command.add_option("--comment", comment, "Skip CSV lines starting with this character")
      ->group(group);
  command
      .add_option("--null", null_values,
                  "Unquoted CSV text that means null (repeatable; default: the empty field)")
      ->group(group);
  command.add_flag("--header,!--no-header", header, "CSV files start with a header line (default)")
      ->group(group);
  command
      .add_option("--schema", schema,
                  "CSV column types overriding inference, e.g. zip:string,id:int64 (bool, "
                  "int8..int64, uint8..uint64, float32, float64, string, binary, date, "
                  "timestamp, timestamptz). Inference keeps a column text when a value would "
                  "not read back the same (08123, +1, 1e5, 20-digit numbers)")
      ->group(group);
  command
      .add_flag("--lenient-quotes", lenient_quotes,
                "Read a quote inside an unquoted CSV field (12.3\" N) as a character instead of "
                "failing; a quote still opens a quoted field at a field's start")
      ->group(group);
}

csv::CsvReadOptions CsvFlags::ToOptions() const {
  csv::CsvReadOptions options;
  csv::CsvDialect& d = options.dialect;
  d.delimiter = csv::ParseDialectChar(delimiter, "--delimiter", true);  // '\0': by extension
  d.quote = csv::ParseDialectChar(quote, "--quote", true);
  d.escape = csv::ParseDialectChar(escape, "--escape", true);
  d.comment = csv::ParseDialectChar(comment, "--comment", true);
  d.header = header;
  d.null_values = null_values;
  d.lenient_quotes = lenient_quotes;
  try {
    options.column_types = csv::ParseColumnTypes(schema);
  } catch (Error& e) {
    throw std::move(e).With("flag", "--schema");
  }
  return options;
}

}  // namespace sluice::cli
