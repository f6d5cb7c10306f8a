#include "sluice/io/csv/projected_tokenizer.h"

namespace sluice::csv {

bool ProjectedTokenizer::Supports(const CsvDialect& dialect) {
  auto special = [](char c) { return c == '\0' || c == '\n' || c == '\r'; };
  return dialect.escape == '\0' && dialect.comment == '\0' && !dialect.lenient_quotes &&
         !special(dialect.delimiter) && (dialect.quote == '\0' || !special(dialect.quote)) &&
         dialect.quote != dialect.delimiter;
}

ProjectedTokenizer::ProjectedTokenizer(const CsvDialect& dialect, int column, int num_fields)
    : dialect_(dialect), column_(column), num_fields_(num_fields), fallback_(dialect) {}

}  // namespace sluice::csv
