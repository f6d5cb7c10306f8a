// LedgerUrl: where a ledger lives, parsed from the text a user gives (`--ledger URL` or the state
// directory's default), before anything is opened or written.
//
// Thread safety: pure functions over values.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::ledger {

// The state directory used when the user names none, relative to the working directory.
inline constexpr std::string_view kDefaultStateDir = ".sluice";
// The SQLite ledger's file name inside a state directory.
inline constexpr std::string_view kLedgerFileName = "ledger.db";

struct LedgerUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  std::filesystem::path sqlite_path;  // kSqlite
  std::string postgres_conninfo;      // kPostgres: the URL as libpq takes it
  std::string description;            // for messages: the URL without a password
};

// Accepts "sqlite:PATH", "sqlite://PATH", a plain PATH, and "postgresql://..." / "postgres://...".
// InvalidArgument (with the URL, password hidden, as context) for an empty URL, an empty path, an
// unknown scheme, or a PostgreSQL URL that libpq cannot parse.
LedgerUrl ParseLedgerUrl(std::string_view url);

// "sqlite:<state_dir>/ledger.db".
std::string DefaultLedgerUrl(const std::filesystem::path& state_dir = kDefaultStateDir);

// The URL with any password replaced by "***", for logs and error messages.
std::string RedactLedgerUrl(std::string_view url);

}  // namespace sluice::ledger
