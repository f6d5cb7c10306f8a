#include "sluice/ledger/ledger_url.h"

#include <libpq-fe.h>

#include <cctype>

#include "sluice/base/error.h"

namespace sluice::ledger {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The scheme of "scheme://...", or "" when the text does not start with one.
std::string_view SchemeOf(std::string_view url) {
  size_t end = url.find("://");
  if (end == std::string_view::npos || end == 0) return {};
  if (!std::isalpha(static_cast<unsigned char>(url[0]))) return {};
  for (char c : url.substr(0, end)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  return url.substr(0, end);
}

}  // namespace

std::string RedactLedgerUrl(std::string_view url) {
  std::string out(url);
  if (!SchemeOf(url).empty()) {
    // scheme://user:password@host -> scheme://user:***@host
    size_t authority = out.find("://") + 3;
    size_t at = out.find('@', authority);
    size_t slash = out.find('/', authority);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // ...?password=secret&... -> ...?password=***&...
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    size_t begin = pos + 9;
    size_t end = out.find_first_of("& ", begin);
    if (end == std::string::npos) end = out.size();
    out.replace(begin, end - begin, "***");
  }
  return out;
}

LedgerUrl ParseLedgerUrl(std::string_view url) {
  auto fail = [&](std::string message) {
    return InvalidArgument("{}", message).With("ledger", RedactLedgerUrl(url));
  };
  if (url.empty()) throw fail("empty ledger URL");
  LedgerUrl out;
  out.description = RedactLedgerUrl(url);
  std::string_view scheme = SchemeOf(url);
  if (scheme == "postgresql" || scheme == "postgres") {
    out.backend = LedgerUrl::Backend::kPostgres;
    out.postgres_conninfo = std::string(url);
    char* message = nullptr;
    PQconninfoOption* options = PQconninfoParse(out.postgres_conninfo.c_str(), &message);
    if (options == nullptr) {
      std::string text = message != nullptr ? message : "out of memory";
      PQfreemem(message);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.pop_back();
      }
      throw fail("malformed PostgreSQL ledger URL: " + text);
    }
    PQconninfoFree(options);
    return out;
  }
  std::string_view path = url;
  if (StartsWith(url, "sqlite://")) {
    path = url.substr(9);
  } else if (StartsWith(url, "sqlite:")) {
    path = url.substr(7);
  } else if (!scheme.empty()) {
    throw fail(fmt::format(
        "unsupported ledger URL scheme '{}' (use sqlite:PATH, a path, or postgresql://...)",
        scheme));
  }
  if (path.empty()) throw fail("ledger URL names no database file");
  if (path.find('\0') != std::string_view::npos) throw fail("ledger path contains a NUL byte");
  out.backend = LedgerUrl::Backend::kSqlite;
  out.sqlite_path = std::filesystem::path(path);
  out.description = "sqlite:" + std::string(path);
  return out;
}

std::string DefaultLedgerUrl(const std::filesystem::path& state_dir) {
  return "sqlite:" + (state_dir / kLedgerFileName).string();
}

}  // namespace sluice::ledger
