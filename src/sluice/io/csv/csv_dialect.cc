#include "sluice/io/csv/csv_dialect.h"

#include "sluice/base/error.h"

namespace sluice::csv {

void CsvDialect::Validate() const {
  auto bad = [](char c) { return c == '\n' || c == '\r'; };
  if (delimiter == '\0') throw InvalidArgument("no delimiter is set");
  if (bad(delimiter)) throw InvalidArgument("the delimiter cannot be a newline");
  if (bad(quote) || bad(escape) || bad(comment)) {
    throw InvalidArgument("quote, escape and comment characters cannot be newlines");
  }
  if (quote != '\0' && quote == delimiter) {
    throw InvalidArgument("the quote character '{}' is also the delimiter", quote);
  }
  if (escape != '\0' && (escape == delimiter || escape == quote)) {
    throw InvalidArgument("the escape character '{}' is also the delimiter or the quote", escape);
  }
  if (comment != '\0' && (comment == delimiter || comment == quote)) {
    throw InvalidArgument("the comment character '{}' is also the delimiter or the quote", comment);
  }
}

char ParseDialectChar(std::string_view value, std::string_view what, bool allow_none) {
  if (value == "\\t" || value == "tab") return '\t';
  if (value.empty() && allow_none) return '\0';
  if (value.size() != 1) throw InvalidArgument("{} takes one character, not '{}'", what, value);
  return value[0];
}

}  // namespace sluice::csv
