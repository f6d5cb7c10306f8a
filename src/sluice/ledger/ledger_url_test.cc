#include "sluice/ledger/ledger_url.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice::ledger {
namespace {

ErrorKind KindOf(std::string_view url) {
  try {
    ParseLedgerUrl(url);
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::kInternal;
}

TEST(LedgerUrl, SqliteForms) {
  EXPECT_EQ(ParseLedgerUrl("sqlite:state/ledger.db").sqlite_path, "state/ledger.db");
  EXPECT_EQ(ParseLedgerUrl("sqlite:///abs/ledger.db").sqlite_path, "/abs/ledger.db");
  EXPECT_EQ(ParseLedgerUrl("sqlite://rel.db").sqlite_path, "rel.db");
  LedgerUrl plain = ParseLedgerUrl("/tmp/x/ledger.db");
  EXPECT_EQ(plain.backend, LedgerUrl::Backend::kSqlite);
  EXPECT_EQ(plain.sqlite_path, "/tmp/x/ledger.db");
  EXPECT_EQ(plain.description, "sqlite:/tmp/x/ledger.db");
  EXPECT_EQ(ParseLedgerUrl("odd:name.db").sqlite_path, "odd:name.db");  // no "://": a path
  EXPECT_EQ(DefaultLedgerUrl(), "sqlite:.sluice/ledger.db");
  EXPECT_EQ(DefaultLedgerUrl("/var/state"), "sqlite:/var/state/ledger.db");
}

TEST(LedgerUrl, PostgresForms) {
  LedgerUrl url = ParseLedgerUrl("postgresql://user:pw@db.example:5433/jobs?sslmode=disable");
  EXPECT_EQ(url.backend, LedgerUrl::Backend::kPostgres);
  EXPECT_EQ(url.postgres_conninfo, "postgresql://user:pw@db.example:5433/jobs?sslmode=disable");
  EXPECT_EQ(url.description, "postgresql://user:***@db.example:5433/jobs?sslmode=disable");
  EXPECT_EQ(ParseLedgerUrl("postgres://h/db").backend, LedgerUrl::Backend::kPostgres);
}

TEST(LedgerUrl, MalformedUrlsAreInvalidArguments) {
  EXPECT_EQ(KindOf(""), ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf("sqlite:"), ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf("sqlite://"), ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf("mysql://localhost/db"), ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf("postgresql://h/db?nosuchoption=1"), ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf("postgresql://h/db?sslmode"), ErrorKind::kInvalidArgument);
  try {
    ParseLedgerUrl("postgresql://u:hunter2@h/db?bogus=1");
    FAIL();
  } catch (const Error& error) {
    std::string text = error.what();
    EXPECT_NE(text.find("bogus"), std::string::npos) << text;
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  }
}

TEST(LedgerUrl, RedactsPasswords) {
  EXPECT_EQ(RedactLedgerUrl("postgresql://a:b@h/d"), "postgresql://a:***@h/d");
  EXPECT_EQ(RedactLedgerUrl("postgresql://a@h/d?password=x&sslmode=y"),
            "postgresql://a@h/d?password=***&sslmode=y");
  EXPECT_EQ(RedactLedgerUrl("postgresql://h/d"), "postgresql://h/d");
  EXPECT_EQ(RedactLedgerUrl("host=h password=x dbname=d"), "host=h password=*** dbname=d");
}

}  // namespace
}  // namespace sluice::ledger
