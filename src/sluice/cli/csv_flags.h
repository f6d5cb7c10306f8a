// The CSV flags of every command that reads CSV (groupby, distinct, sort, join, batch, bloom,
// cat): the dialect (--delimiter, --quote, --escape, --comment, --null, --header/--no-header,
// --lenient-quotes) and column types (--schema zip:string,id:int64), all filling the one
// csv::CsvReadOptions the reader takes. Defaults read RFC 4180 with a header, strict quoting,
// the delimiter by extension (tab for .tsv), and types inferred so no value changes
// (io/csv/type_inference.h).
//
// Thread safety: plain values; used on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "sluice/io/csv/csv_reader.h"

namespace sluice::cli {

struct CsvFlags {
  std::string delimiter;  // "": by extension
  std::string quote = "\"";
  std::string escape;
  std::string comment;
  bool header = true;
  std::vector<std::string> null_values = {""};
  std::string schema;
  bool lenient_quotes = false;

  void Add(CLI::App& command);
  // The reader's options; InvalidArgument naming the flag for a bad value.
  csv::CsvReadOptions ToOptions() const;
};

}  // namespace sluice::cli
