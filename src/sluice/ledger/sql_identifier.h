// SQL identifier quoting shared by both ledger backends and by anything that reads user-named
// tables and columns through them (e.g. a key-range partitioner). Identifiers are never spliced
// into SQL text unquoted; values are always bound as parameters, never spliced at all.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sluice::ledger {

// "my ""odd"" table" style quoting (SQL standard, both SQLite and PostgreSQL). InvalidArgument for
// an empty name or one containing a NUL byte, which no database accepts.
std::string QuoteSqlIdentifier(std::string_view name);

// A possibly schema-qualified name, "schema.table", quoted part by part. A dot inside a part can
// be kept by quoting the part in the input ("a.b" -> one part); InvalidArgument for empty parts
// and unbalanced quotes.
std::string QuoteQualifiedSqlIdentifier(std::string_view name);

}  // namespace sluice::ledger
