#include "sluice/jobs/key_range_partitioner.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/jobs/partition_definition.h"
#include "sluice/ledger/ledger_url.h"
#include "sluice/ledger/postgres_connection.h"
#include "sluice/ledger/sql_identifier.h"
#include "sluice/ledger/sqlite_connection.h"

namespace sluice::jobs {
namespace {

// Range starts: every step-th distinct key (the 1st, 1 + step-th, ...), in order; then one row
// with the largest key, which ends the last range.
std::string BoundsSql(const std::string& table, const std::string& column, bool postgres) {
  std::string param = postgres ? "$1" : "?1";
  return "SELECT k, 0 FROM (SELECT k, row_number() OVER (ORDER BY k) AS n FROM (SELECT DISTINCT " +
         column + " AS k FROM " + table + " WHERE " + column +
         " IS NOT NULL) d) r WHERE (n - 1) % " + param + " = 0 UNION ALL SELECT max(" + column +
         "), 1 FROM " + table + " ORDER BY 2, 1";
}

}  // namespace

std::string KeyRangePartition::ToJson() const {
  return nlohmann::json{{"table", table}, {"column", column}, {"lo", lo}, {"hi", hi}}.dump();
}

KeyRangePartition KeyRangePartition::FromJson(std::string_view json) {
  return ReadDefinition(json, "a key range partition", [](const nlohmann::json& j) {
    return KeyRangePartition{j.at("table").get<std::string>(), j.at("column").get<std::string>(),
                             j.at("lo").get<int64_t>(), j.at("hi").get<int64_t>()};
  });
}

KeyRangePartitioner::KeyRangePartitioner(std::string source_url, std::string table,
                                         std::string column, int64_t step)
    : source_url_(std::move(source_url)),
      table_(std::move(table)),
      column_(std::move(column)),
      step_(step) {
  ledger::ParseLedgerUrl(source_url_);  // validates before anything is opened
  quoted_table_ = ledger::QuoteQualifiedSqlIdentifier(table_);
  quoted_column_ = ledger::QuoteSqlIdentifier(column_);
  if (step_ < 1) throw InvalidArgument("key step must be at least 1, not {}", step_);
}

std::string KeyRangePartitioner::Describe() const {
  return "key ranges of " + table_ + "." + column_ + " in " + ledger::RedactLedgerUrl(source_url_);
}

std::set<std::string, std::less<>> KeyRangePartitioner::Fields() const {
  return {"table", "column", "lo", "hi"};
}

void KeyRangePartitioner::Generate(const std::function<void(ledger::PartitionSpec)>& emit) {
  ledger::LedgerUrl url = ledger::ParseLedgerUrl(source_url_);
  std::vector<int64_t> starts;
  std::optional<int64_t> max_key;
  auto add = [&](int64_t key, bool is_max) {
    if (is_max) {
      max_key = key;
    } else {
      starts.push_back(key);
    }
  };
  try {
    if (url.backend == ledger::LedgerUrl::Backend::kSqlite) {
      if (!std::filesystem::is_regular_file(url.sqlite_path)) {
        throw NotFound("no such SQLite database").With("file", url.sqlite_path.string());
      }
      ledger::SqliteConnection db(url.sqlite_path, std::chrono::seconds(30));
      auto statement = db.Prepare(BoundsSql(quoted_table_, quoted_column_, false));
      statement->Bind(1, step_);
      while (statement->Step()) {
        if (!statement->IsNull(0)) add(statement->Int(0), statement->Int(1) == 1);
      }
    } else {
      ledger::PostgresConnection db(url.postgres_conninfo, std::chrono::seconds(30));
      ledger::PgResult rows = db.Retrying([&] {
        return db.Run(BoundsSql(quoted_table_, quoted_column_, true),
                      ledger::PgParams().Add(step_));
      });
      for (int r = 0; r < rows.rows(); ++r) {
        if (!rows.IsNull(r, 0)) add(rows.Int(r, 0), rows.Int(r, 1) == 1);
      }
    }
  } catch (Error& e) {
    throw std::move(e).With("table", table_).With("column", column_);
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t lo = starts[i];
    int64_t hi = i + 1 < starts.size() ? starts[i + 1] - 1 : *max_key;
    emit({std::to_string(lo) + ".." + std::to_string(hi),
          KeyRangePartition{table_, column_, lo, hi}.ToJson()});
  }
}

}  // namespace sluice::jobs
