#include "sluice/ledger/sql_identifier.h"

#include <vector>

#include "sluice/base/error.h"

namespace sluice::ledger {

std::string QuoteSqlIdentifier(std::string_view name) {
  if (name.empty()) throw InvalidArgument("empty SQL identifier");
  if (name.find('\0') != std::string_view::npos) {
    throw InvalidArgument("SQL identifier contains a NUL byte")
        .With("identifier", std::string(name));
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteQualifiedSqlIdentifier(std::string_view name) {
  auto fail = [&](std::string_view why) {
    return InvalidArgument("malformed SQL name: {}", why).With("identifier", std::string(name));
  };
  std::vector<std::string> parts(1);
  bool quoted = false;
  bool part_was_quoted = false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < name.size() && name[i + 1] == '"') {
          parts.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        parts.back() += c;
      }
    } else if (c == '"') {
      if (!parts.back().empty()) throw fail("quote inside a name part");
      quoted = true;
      part_was_quoted = true;
    } else if (c == '.') {
      if (parts.back().empty()) throw fail("empty name part");
      parts.emplace_back();
      part_was_quoted = false;
    } else {
      if (part_was_quoted) throw fail("text after a quoted name part");
      parts.back() += c;
    }
  }
  if (quoted) throw fail("unbalanced quote");
  if (parts.back().empty()) throw fail("empty name part");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '.';
    out += QuoteSqlIdentifier(parts[i]);
  }
  return out;
}

}  // namespace sluice::ledger
