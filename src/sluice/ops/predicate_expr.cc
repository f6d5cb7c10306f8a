#include "sluice/ops/predicate_expr.h"

#include <algorithm>

namespace sluice {

const char* CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

namespace {

void AddColumns(const PredicateExpr& expr, std::vector<PredicateColumn>& out) {
  if (!expr.column.empty() && std::none_of(out.begin(), out.end(), [&](const PredicateColumn& c) {
        return c.name == expr.column;
      })) {
    out.push_back(PredicateColumn{expr.column, expr.position});
  }
  for (const PredicateExpr& child : expr.children) AddColumns(child, out);
}

}  // namespace

std::vector<PredicateColumn> ColumnsOf(const PredicateExpr& expr) {
  std::vector<PredicateColumn> out;
  AddColumns(expr, out);
  return out;
}

}  // namespace sluice
