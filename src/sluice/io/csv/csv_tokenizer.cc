#include "sluice/io/csv/csv_tokenizer.h"

#include "sluice/io/csv/lenient_quotes.h"

namespace sluice::csv {

std::string_view RowProblemText(RowProblem problem) {
  switch (problem) {
    case RowProblem::kNone:
      return "no problem";
    case RowProblem::kUnterminatedQuote:
      return "unterminated quote";
    case RowProblem::kQuoteInUnquotedField:
      return "quote inside an unquoted field (lenient quoting reads it as a character)";
    case RowProblem::kTextAfterClosingQuote:
      return "text after a closing quote";
  }
  return "unknown problem";
}

CsvTokenizer::CsvTokenizer(const CsvDialect& dialect) : dialect_(dialect) {
  std::memset(unquoted_class_, kPlain, sizeof(unquoted_class_));
  std::memset(quoted_class_, kPlain, sizeof(quoted_class_));
  unquoted_class_[static_cast<uint8_t>(dialect.delimiter)] = kDelimiter;
  unquoted_class_[static_cast<uint8_t>('\n')] = kNewline;
  unquoted_class_[static_cast<uint8_t>('\r')] = kCr;
  quoted_class_[static_cast<uint8_t>('\n')] = kNewline;
  if (dialect.quote != '\0') {
    if (!dialect.lenient_quotes) unquoted_class_[static_cast<uint8_t>(dialect.quote)] = kQuote;
    quoted_class_[static_cast<uint8_t>(dialect.quote)] = kQuote;
  }
  if (dialect.escape != '\0') {
    unquoted_class_[static_cast<uint8_t>(dialect.escape)] = kEscape;
    quoted_class_[static_cast<uint8_t>(dialect.escape)] = kEscape;
  }
  fields_.reserve(64);
}

char* CsvTokenizer::SkipRow(char* p, char* end, int64_t& line) const {
  if (dialect_.lenient_quotes) {
    LenientQuotes quotes(dialect_, LenientQuotes::State::kUnquoted);
    while (p < end) {
      const char c = *p++;
      const bool row_end = quotes.Step(c);
      if (c == '\n') ++line;
      if (row_end) return p;
    }
    return p;
  }
  const char quote = dialect_.quote;
  const char escape = dialect_.escape;
  bool in_quotes = false;
  while (p < end) {
    const char c = *p++;
    if (escape != '\0' && c == escape) {
      if (p < end && *p == '\n') ++line;
      if (p < end) ++p;
    } else if (quote != '\0' && c == quote) {
      in_quotes = !in_quotes;
    } else if (c == '\n') {
      ++line;
      if (!in_quotes) return p;
    }
  }
  return p;
}

}  // namespace sluice::csv
