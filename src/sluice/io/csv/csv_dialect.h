// CsvDialect: how a CSV file is spelled (RFC 4180 and the usual variations). Quoting follows
// one rule everywhere (the chunker, the tokenizer). Strict (the default): every quote character
// outside an escape toggles the quoted state, so a doubled quote inside a quoted field is a
// literal quote and a quote inside an unquoted field is an error. Lenient (`lenient_quotes`):
// a quote opens a quoted field only at a field's start, so `12.3" N` is read as it stands;
// inside a quoted field a doubled quote is still a literal quote and a quote followed by the
// delimiter or a line end closes it (lenient_quotes.h). With an escape character, it makes the
// next byte literal (quote, delimiter, newline or itself). Lines end with \n or \r\n; a lone \r
// is data.
//
// Thread safety: a plain value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::csv {

struct CsvDialect {
  // '\0' only in CsvReadOptions: CsvReader::Open picks tab for a first file named .tsv (or
  // .tsv.gz, .tsv.zst), else ','.
  char delimiter = ',';
  char quote = '"';     // '\0': no quoting
  char escape = '\0';   // '\0': quotes are escaped by doubling them; else e.g. '\\'
  char comment = '\0';  // lines starting with it are skipped; '\0': none
  bool header = true;
  bool skip_blank_lines = true;
  bool lenient_quotes = false;  // a quote inside an unquoted field is a character, not an error
  // Unquoted fields equal to one of these are null (a quoted "" is an empty string).
  std::vector<std::string> null_values = {""};

  // Throws InvalidArgument when characters collide (delimiter == quote, newline as delimiter).
  void Validate() const;
};

// One dialect character as users spell it: "\t" and "tab" are a tab; "" is '\0' (none) where
// allow_none, else an error. InvalidArgument naming `what` (a flag or option) for more than one
// character.
char ParseDialectChar(std::string_view value, std::string_view what, bool allow_none);

}  // namespace sluice::csv
