#include <cctype>

#include "sluice/base/error.h"
#include "sluice/ops/aggregate.h"

namespace sluice {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

AggregateCall ParseOne(const std::string& expression) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("cannot parse aggregate: {}", why).With("expression", expression);
  };
  std::string text = expression;
  std::string alias;
  // "... as name"
  for (size_t i = text.size(); i >= 4; --i) {
    std::string_view tail(text.data() + i - 4, 4);
    if ((tail == " as " || tail == " AS ") && text.find(')', i) == std::string::npos) {
      alias = Trim(text.substr(i));
      text = Trim(text.substr(0, i - 4));
      if (!IsIdentifier(alias)) throw bad("alias '" + alias + "' is not a name");
      break;
    }
  }
  const size_t open = text.find('(');
  if (open == std::string::npos || text.back() != ')') throw bad("expected function(column)");
  AggregateCall call;
  call.function = Trim(text.substr(0, open));
  for (char& c : call.function) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!IsIdentifier(call.function)) throw bad("'" + call.function + "' is not a function name");
  std::string args = Trim(text.substr(open + 1, text.size() - open - 2));
  if (args != "*") {
    size_t start = 0;
    while (true) {
      const size_t comma = args.find(',', start);
      std::string column = Trim(args.substr(start, comma - start));
      if (!IsIdentifier(column)) throw bad("'" + column + "' is not a column name");
      call.columns.push_back(column);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (const AggregateFunction* f = FindAggregateFunction(call.function);
             f == nullptr || !f->takes_star) {
    throw bad("only count takes *");
  }
  if (alias.empty()) {
    alias = call.function + "(";
    for (size_t i = 0; i < call.columns.size(); ++i) {
      alias += (i ? "," : "") + call.columns[i];
    }
    alias += call.columns.empty() ? "*)" : ")";
  }
  call.name = alias;
  return call;
}

}  // namespace

std::vector<AggregateCall> ParseAggregateCalls(const std::string& text) {
  std::vector<AggregateCall> calls;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '(') ++depth;
    if (i < text.size() && text[i] == ')') --depth;
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      std::string one = Trim(text.substr(start, i - start));
      if (one.empty()) throw InvalidArgument("empty aggregate expression").With("aggregates", text);
      calls.push_back(ParseOne(one));
      start = i + 1;
    }
  }
  return calls;
}

}  // namespace sluice
