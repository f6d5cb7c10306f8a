#include "sluice/ledger/sql_identifier.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice::ledger {
namespace {

TEST(SqlIdentifier, QuotesAndDoublesQuotes) {
  EXPECT_EQ(QuoteSqlIdentifier("id"), "\"id\"");
  EXPECT_EQ(QuoteSqlIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteSqlIdentifier("x; DROP TABLE jobs; --"), "\"x; DROP TABLE jobs; --\"");
  EXPECT_THROW(QuoteSqlIdentifier(""), Error);
  EXPECT_THROW(QuoteSqlIdentifier(std::string_view("a\0b", 3)), Error);
}

TEST(SqlIdentifier, QualifiedNames) {
  EXPECT_EQ(QuoteQualifiedSqlIdentifier("public.events"), "\"public\".\"events\"");
  EXPECT_EQ(QuoteQualifiedSqlIdentifier("\"my.schema\".t"), "\"my.schema\".\"t\"");
  EXPECT_EQ(QuoteQualifiedSqlIdentifier("\"a\"\"b\""), "\"a\"\"b\"");
  EXPECT_THROW(QuoteQualifiedSqlIdentifier("a..b"), Error);
  EXPECT_THROW(QuoteQualifiedSqlIdentifier("a."), Error);
  EXPECT_THROW(QuoteQualifiedSqlIdentifier("\"open"), Error);
  EXPECT_THROW(QuoteQualifiedSqlIdentifier("\"a\"b"), Error);
}

}  // namespace
}  // namespace sluice::ledger
