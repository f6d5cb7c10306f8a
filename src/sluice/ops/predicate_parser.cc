#include "sluice/ops/predicate_parser.h"

#include <cctype>
#include <string>
#include <utility>

#include "sluice/base/error.h"

namespace sluice {

const char* const kPredicateSyntaxHelp =
    "SQL WHERE syntax: comparisons of a column with a literal (= != <> < <= > >=; 12, -2.5, "
    "'text', true, '2026-01-31' for dates and timestamps), col IN (1, 2), col IS [NOT] NULL, "
    "col [NOT] LIKE 'ab%' (% any characters, _ one), AND, OR, NOT and parentheses; a "
    "comparison with a null is not true, as in SQL";

namespace {

struct Token {
  enum class Kind { kEnd, kName, kQuotedName, kNumber, kString, kOp, kLeft, kRight, kComma };
  Kind kind = Kind::kEnd;
  std::string text;
  int position = 0;  // 1-based
};

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool KeywordIs(const Token& t, std::string_view keyword) {
  if (t.kind != Token::Kind::kName || t.text.size() != keyword.size()) return false;
  for (size_t i = 0; i < keyword.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != keyword[i]) return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) { Advance(); }

  PredicateExpr ParseAll() {
    PredicateExpr expr = ParseOr();
    if (token_.kind != Token::Kind::kEnd) Fail("expected AND, OR or the end");
    return expr;
  }

 private:
  [[noreturn]] void Fail(std::string_view what) const { FailAt(what, token_.position); }
  [[noreturn]] void FailAt(std::string_view what, int position) const {
    const std::string found =
        token_.kind == Token::Kind::kEnd ? "the end" : "'" + token_.text + "'";
    throw InvalidArgument("{} at position {} (found {})", what, position, found)
        .With("expression", std::string(text_));
  }

  // Reads the next token into token_.
  void Advance() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
    token_ = Token{};
    token_.position = static_cast<int>(at_) + 1;
    if (at_ >= text_.size()) return;
    const char c = text_[at_];
    if (IsNameStart(c)) return ReadWhile(Token::Kind::kName, IsNameChar);
    if (IsDigit(c) || (c == '.' && at_ + 1 < text_.size() && IsDigit(text_[at_ + 1]))) {
      return ReadNumber();
    }
    if (c == '\'') return ReadQuoted('\'', Token::Kind::kString);
    if (c == '"') return ReadQuoted('"', Token::Kind::kQuotedName);
    if (c == '(' || c == ')' || c == ',') {
      token_.kind = c == '('   ? Token::Kind::kLeft
                    : c == ')' ? Token::Kind::kRight
                               : Token::Kind::kComma;
      token_.text = std::string(1, c);
      ++at_;
      return;
    }
    ReadOperator();
  }

  void ReadWhile(Token::Kind kind, bool (*accept)(char)) {
    const size_t start = at_;
    while (at_ < text_.size() && accept(text_[at_])) ++at_;
    token_.kind = kind;
    token_.text = std::string(text_.substr(start, at_ - start));
  }

  void ReadNumber() {
    const size_t start = at_;
    while (at_ < text_.size() && (IsDigit(text_[at_]) || text_[at_] == '.')) ++at_;
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      while (at_ < text_.size() && IsDigit(text_[at_])) ++at_;
    }
    token_.kind = Token::Kind::kNumber;
    token_.text = std::string(text_.substr(start, at_ - start));
    if (at_ < text_.size() && IsNameChar(text_[at_])) {
      Fail("expected an operator after the number");
    }
  }

  // A quoted string or name; a doubled quote stands for one.
  void ReadQuoted(char quote, Token::Kind kind) {
    ++at_;
    token_.kind = kind;
    while (true) {
      if (at_ >= text_.size()) {
        throw InvalidArgument("unterminated {} starting at position {}",
                              quote == '\'' ? "string" : "quoted name", token_.position)
            .With("expression", std::string(text_));
      }
      if (text_[at_] == quote) {
        if (at_ + 1 < text_.size() && text_[at_ + 1] == quote) {
          token_.text += quote;
          at_ += 2;
          continue;
        }
        ++at_;
        return;
      }
      token_.text += text_[at_++];
    }
  }

  void ReadOperator() {
    static constexpr std::string_view kOps[] = {"<=", ">=", "!=", "<>", "==", "=", "<", ">", "-"};
    for (std::string_view op : kOps) {
      if (text_.substr(at_, op.size()) == op) {
        token_.kind = Token::Kind::kOp;
        token_.text = std::string(op);
        at_ += op.size();
        return;
      }
    }
    token_.text = std::string(1, text_[at_]);
    token_.kind = Token::Kind::kOp;
    Fail("unexpected character");
  }

  PredicateExpr ParseOr() { return ParseChain("OR", PredicateExpr::Kind::kOr, &Parser::ParseAnd); }
  PredicateExpr ParseAnd() {
    return ParseChain("AND", PredicateExpr::Kind::kAnd, &Parser::ParseNot);
  }

  PredicateExpr ParseChain(std::string_view keyword, PredicateExpr::Kind kind,
                           PredicateExpr (Parser::*next)()) {
    PredicateExpr first = (this->*next)();
    if (!KeywordIs(token_, keyword)) return first;
    PredicateExpr chain;
    chain.kind = kind;
    chain.position = token_.position;
    chain.children.push_back(std::move(first));
    while (KeywordIs(token_, keyword)) {
      Advance();
      chain.children.push_back((this->*next)());
    }
    return chain;
  }

  PredicateExpr ParseNot() {
    if (!KeywordIs(token_, "NOT")) return ParsePrimary();
    PredicateExpr expr;
    expr.kind = PredicateExpr::Kind::kNot;
    expr.position = token_.position;
    Advance();
    expr.children.push_back(ParseNot());
    return expr;
  }

  PredicateExpr ParsePrimary() {
    if (token_.kind == Token::Kind::kLeft) {
      Advance();
      PredicateExpr inner = ParseOr();
      if (token_.kind != Token::Kind::kRight) Fail("expected ')'");
      Advance();
      return inner;
    }
    if (IsLiteralStart()) return ParseLiteralFirst();
    PredicateExpr expr;
    expr.position = token_.position;
    expr.column = ParseColumn();
    ParseCondition(expr);
    return expr;
  }

  bool IsKeyword() const {
    for (std::string_view k : {"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE"}) {
      if (KeywordIs(token_, k)) return true;
    }
    return false;
  }

  bool IsLiteralStart() const {
    return token_.kind == Token::Kind::kNumber || token_.kind == Token::Kind::kString ||
           (token_.kind == Token::Kind::kOp && token_.text == "-") || KeywordIs(token_, "TRUE") ||
           KeywordIs(token_, "FALSE");
  }

  std::string ParseColumn() {
    if (token_.kind == Token::Kind::kQuotedName ||
        (token_.kind == Token::Kind::kName && !IsKeyword())) {
      std::string name = token_.text;
      Advance();
      return name;
    }
    Fail("expected a column name, '(' or NOT");
  }

  // What follows a column: an operator and a literal, [NOT] IN, IS [NOT] NULL, [NOT] LIKE, or
  // nothing (a boolean column).
  void ParseCondition(PredicateExpr& expr) {
    if (token_.kind == Token::Kind::kOp && token_.text != "-") {
      expr.kind = PredicateExpr::Kind::kCompare;
      expr.op = ParseOp();
      expr.literals.push_back(ParseLiteral());
      return;
    }
    if (KeywordIs(token_, "IS")) {
      Advance();
      expr.kind = PredicateExpr::Kind::kIsNull;
      expr.negated = TakeKeyword("NOT");
      if (!TakeKeyword("NULL")) Fail("expected NULL or NOT NULL after IS");
      return;
    }
    expr.negated = TakeKeyword("NOT");
    if (TakeKeyword("IN")) {
      expr.kind = PredicateExpr::Kind::kIn;
      ParseList(expr);
    } else if (TakeKeyword("LIKE")) {
      expr.kind = PredicateExpr::Kind::kLike;
      if (token_.kind != Token::Kind::kString) Fail("expected a 'quoted' pattern after LIKE");
      expr.literals.push_back(ParseLiteral());
    } else if (expr.negated) {
      Fail("expected IN or LIKE after NOT");
    } else {
      expr.kind = PredicateExpr::Kind::kColumn;
    }
  }

  void ParseList(PredicateExpr& expr) {
    if (token_.kind != Token::Kind::kLeft) Fail("expected '(' after IN");
    Advance();
    expr.literals.push_back(ParseLiteral());
    while (token_.kind == Token::Kind::kComma) {
      Advance();
      expr.literals.push_back(ParseLiteral());
    }
    if (token_.kind != Token::Kind::kRight) Fail("expected ',' or ')' in the IN list");
    Advance();
  }

  bool TakeKeyword(std::string_view keyword) {
    if (!KeywordIs(token_, keyword)) return false;
    Advance();
    return true;
  }

  CompareOp ParseOp() {
    const std::string op = token_.text;
    if (token_.kind != Token::Kind::kOp) Fail("expected a comparison (= != < <= > >=)");
    Advance();
    if (op == "=" || op == "==") return CompareOp::kEq;
    if (op == "!=" || op == "<>") return CompareOp::kNe;
    if (op == "<") return CompareOp::kLt;
    if (op == "<=") return CompareOp::kLe;
    if (op == ">") return CompareOp::kGt;
    return CompareOp::kGe;
  }

  PredicateLiteral ParseLiteral() {
    PredicateLiteral literal;
    literal.position = token_.position;
    if (KeywordIs(token_, "NULL")) {
      Fail("a comparison with NULL is never true; write IS NULL or IS NOT NULL");
    }
    std::string sign;
    if (token_.kind == Token::Kind::kOp && token_.text == "-") {
      sign = "-";
      Advance();
      if (token_.kind != Token::Kind::kNumber) Fail("expected a number after '-'");
    }
    if (token_.kind == Token::Kind::kNumber) {
      const bool is_float = token_.text.find_first_of(".eE") != std::string::npos;
      literal.kind = is_float ? PredicateLiteral::Kind::kFloat : PredicateLiteral::Kind::kInt;
      literal.text = sign + token_.text;
    } else if (token_.kind == Token::Kind::kString) {
      literal.kind = PredicateLiteral::Kind::kString;
      literal.text = token_.text;
    } else if (KeywordIs(token_, "TRUE") || KeywordIs(token_, "FALSE")) {
      literal.kind = PredicateLiteral::Kind::kBool;
      literal.text = KeywordIs(token_, "TRUE") ? "true" : "false";
    } else {
      Fail("expected a literal (a number, 'string', true or false)");
    }
    Advance();
    return literal;
  }

  // `5 < col`: the same comparison with the operands swapped.
  PredicateExpr ParseLiteralFirst() {
    PredicateExpr expr;
    expr.kind = PredicateExpr::Kind::kCompare;
    expr.literals.push_back(ParseLiteral());
    const CompareOp op = ParseOp();
    expr.position = token_.position;
    expr.column = ParseColumn();
    static constexpr CompareOp kSwapped[] = {CompareOp::kEq, CompareOp::kNe, CompareOp::kGt,
                                             CompareOp::kGe, CompareOp::kLt, CompareOp::kLe};
    expr.op = kSwapped[static_cast<int>(op)];
    return expr;
  }

  std::string_view text_;
  size_t at_ = 0;
  Token token_;
};

}  // namespace

PredicateExpr ParsePredicate(std::string_view text) {
  Parser parser(text);
  return parser.ParseAll();
}

}  // namespace sluice
