#include "sluice/ops/predicate_parser.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice {
namespace {

using Kind = PredicateExpr::Kind;

// The error ParsePredicate raises for `text`.
Error ParseError(const std::string& text) {
  try {
    ParsePredicate(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << text;
  return InternalError("none");
}

TEST(PredicateParserTest, AndBindsTighterThanOrAndNotTighterThanBoth) {
  const PredicateExpr e = ParsePredicate("a = 1 OR NOT b < 2 and c >= 3");
  ASSERT_EQ(e.kind, Kind::kOr);
  ASSERT_EQ(e.children.size(), 2u);
  EXPECT_EQ(e.children[0].kind, Kind::kCompare);
  const PredicateExpr& conj = e.children[1];
  ASSERT_EQ(conj.kind, Kind::kAnd);
  EXPECT_EQ(conj.children[0].kind, Kind::kNot);
  EXPECT_EQ(conj.children[0].children[0].column, "b");
  EXPECT_EQ(conj.children[1].op, CompareOp::kGe);
}

TEST(PredicateParserTest, ParenthesesOverridePrecedence) {
  const PredicateExpr e = ParsePredicate("(a = 1 OR b = 2) AND c = 3");
  ASSERT_EQ(e.kind, Kind::kAnd);
  EXPECT_EQ(e.children[0].kind, Kind::kOr);
}

TEST(PredicateParserTest, ComparisonsAndLiterals) {
  const PredicateExpr e = ParsePredicate("x <> -2.5e3");
  EXPECT_EQ(e.kind, Kind::kCompare);
  EXPECT_EQ(e.column, "x");
  EXPECT_EQ(e.op, CompareOp::kNe);
  EXPECT_EQ(e.literals[0].kind, PredicateLiteral::Kind::kFloat);
  EXPECT_EQ(e.literals[0].text, "-2.5e3");
  EXPECT_EQ(ParsePredicate("x != 7").literals[0].kind, PredicateLiteral::Kind::kInt);
  EXPECT_EQ(ParsePredicate("x = TRUE").literals[0].kind, PredicateLiteral::Kind::kBool);
  const PredicateExpr s = ParsePredicate("name = 'it''s'");
  EXPECT_EQ(s.literals[0].kind, PredicateLiteral::Kind::kString);
  EXPECT_EQ(s.literals[0].text, "it's");
  EXPECT_EQ(ParsePredicate("\"odd \"\"name\"\"\" = 1").column, "odd \"name\"");
}

TEST(PredicateParserTest, ALiteralOnTheLeftSwapsTheOperator) {
  const PredicateExpr e = ParsePredicate("5 < x");
  EXPECT_EQ(e.column, "x");
  EXPECT_EQ(e.op, CompareOp::kGt);
  EXPECT_EQ(e.literals[0].text, "5");
}

TEST(PredicateParserTest, InIsNullLikeAndBareColumns) {
  const PredicateExpr in = ParsePredicate("k not in (1, 2, 'x')");
  EXPECT_EQ(in.kind, Kind::kIn);
  EXPECT_TRUE(in.negated);
  EXPECT_EQ(in.literals.size(), 3u);
  const PredicateExpr is = ParsePredicate("k IS NOT NULL");
  EXPECT_EQ(is.kind, Kind::kIsNull);
  EXPECT_TRUE(is.negated);
  EXPECT_FALSE(ParsePredicate("k is null").negated);
  const PredicateExpr like = ParsePredicate("s LIKE 'ab%'");
  EXPECT_EQ(like.kind, Kind::kLike);
  EXPECT_EQ(like.literals[0].text, "ab%");
  EXPECT_TRUE(ParsePredicate("s NOT LIKE '%'").negated);
  EXPECT_EQ(ParsePredicate("flag AND NOT other").children[0].kind, Kind::kColumn);
}

TEST(PredicateParserTest, ColumnsAreListedOnceWithTheirFirstPosition) {
  const std::vector<PredicateColumn> columns =
      ColumnsOf(ParsePredicate("a = 1 OR (b < 2 AND a > 0)"));
  ASSERT_EQ(columns.size(), 2u);
  EXPECT_EQ(columns[0].name, "a");
  EXPECT_EQ(columns[0].position, 1);
  EXPECT_EQ(columns[1].name, "b");
  EXPECT_EQ(columns[1].position, 11);
}

TEST(PredicateParserTest, ErrorsNameWhatWasExpectedAndWhere) {
  Error e = ParseError("x >");
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(e.message().find("expected a literal"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("position 4"), std::string::npos) << e.what();
  EXPECT_EQ(e.ContextValue("expression"), "x >");

  EXPECT_NE(std::string(ParseError("x = 'abc").what())
                .find("unterminated string starting at "
                      "position 5"),
            std::string::npos);
  EXPECT_NE(ParseError("(x = 1").message().find("expected ')' at position 7"), std::string::npos);
  EXPECT_NE(ParseError("x = NULL").message().find("IS NULL"), std::string::npos);
  EXPECT_NE(ParseError("x = 1 y = 2").message().find("expected AND, OR or the end at position 7"),
            std::string::npos);
  EXPECT_NE(ParseError("AND x = 1").message().find("expected a column name"), std::string::npos);
  EXPECT_NE(ParseError("x IN 1").message().find("expected '(' after IN"), std::string::npos);
  EXPECT_NE(ParseError("x IN (1 2)").message().find("expected ',' or ')'"), std::string::npos);
  EXPECT_NE(ParseError("x LIKE 5").message().find("pattern"), std::string::npos);
  EXPECT_NE(ParseError("x IS 5").message().find("NULL or NOT NULL"), std::string::npos);
  EXPECT_NE(ParseError("x = 1 ; y").message().find("unexpected character at position 7"),
            std::string::npos);
  EXPECT_NE(ParseError("").message().find("expected a column name"), std::string::npos);
}

}  // namespace
}  // namespace sluice
