// CsvDialect: how a CSV file is spelled (RFC 4180 and the usual variations). Quoting follows
// one rule everywhere (the chunker, the tokenizer): every quote character outside an escape
// toggles the quoted state, so a doubled quote inside a quoted field is a literal quote. With an
// escape character, it makes the next byte literal (quote, delimiter, newline or itself).
// Lines end with \n or \r\n; a lone \r is data.
//
// Thread safety: a plain value.
#pragma once

#include <string>
#include <vector>

namespace sluice::csv {

struct CsvDialect {
  char delimiter = ',';
  char quote = '"';     // '\0': no quoting
  char escape = '\0';   // '\0': quotes are escaped by doubling them; else e.g. '\\'
  char comment = '\0';  // lines starting with it are skipped; '\0': none
  bool header = true;
  bool skip_blank_lines = true;
  // Unquoted fields equal to one of these are null (a quoted "" is an empty string).
  std::vector<std::string> null_values = {""};

  // Throws InvalidArgument when characters collide (delimiter == quote, newline as delimiter).
  void Validate() const;
};

}  // namespace sluice::csv
