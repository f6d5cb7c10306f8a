// PredicateExpr: the syntax tree of a row filter (`--where`) as written, before it is bound to a
// schema (predicate.h). Columns are names and literals are their text, so the same tree binds to
// a Parquet file's int8 column and to a CSV file's inferred int64 column alike; positions (1-based
// characters in the text) let binding errors point at the spot the user wrote.
//
// Thread safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace sluice {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

// "=", "!=", "<", "<=", ">", ">=".
const char* CompareOpText(CompareOp op);

struct PredicateLiteral {
  enum class Kind { kInt, kFloat, kString, kBool };
  Kind kind = Kind::kInt;
  std::string text;  // digits with an optional '-', the float's text, the string unquoted, or
                     // "true"/"false"
  int position = 0;
};

struct PredicateExpr {
  enum class Kind {
    kAnd,      // children: two or more
    kOr,       // children: two or more
    kNot,      // children: one
    kCompare,  // column op literals[0]
    kIn,       // column [NOT] IN (literals...)
    kIsNull,   // column IS [NOT] NULL
    kLike,     // column [NOT] LIKE literals[0] (a string)
    kColumn,   // a bare boolean column: true where the column is true
  };
  Kind kind = Kind::kColumn;
  std::vector<PredicateExpr> children;
  std::string column;
  CompareOp op = CompareOp::kEq;
  std::vector<PredicateLiteral> literals;
  bool negated = false;  // NOT IN, IS NOT NULL, NOT LIKE
  int position = 0;      // where the column (or the operator of AND/OR/NOT) starts
};

struct PredicateColumn {
  std::string name;
  int position = 0;  // of its first mention
};
// The columns the expression names, each once, in the order first named.
std::vector<PredicateColumn> ColumnsOf(const PredicateExpr& expr);

}  // namespace sluice
