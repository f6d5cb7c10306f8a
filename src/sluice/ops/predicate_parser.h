// ParsePredicate: the text of a row filter (`--where`) into a PredicateExpr, SQL's WHERE syntax
// for one table:
//   comparisons   col = 5, col != 'x', col <> 2.5, col < -1e3, col >= '2026-01-01', 5 < col
//   lists         col IN (1, 2, 3), col NOT IN ('a', 'b')
//   nulls         col IS NULL, col IS NOT NULL
//   patterns      col LIKE 'ab%', col NOT LIKE '%x_y%' (% any run of characters, _ one)
//   booleans      a AND b, a OR b, NOT a, (...), a bare boolean column, true/false literals
// Keywords are case-insensitive; columns are names ([A-Za-z_][A-Za-z0-9_.]*) or "double quoted"
// (with "" for a quote); strings are 'single quoted' (with '' for a quote). AND binds tighter
// than OR, NOT tighter than both.
//
// Errors are InvalidArgument naming what was expected and the 1-based position in the text,
// with the text as context ("expression").
//
// Thread safety: a pure function.
#pragma once

#include <string_view>

#include "sluice/ops/predicate_expr.h"

namespace sluice {

PredicateExpr ParsePredicate(std::string_view text);

// A short description of the syntax, for --help texts.
extern const char* const kPredicateSyntaxHelp;

}  // namespace sluice
