#include "sluice/ledger/postgres_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "sluice/base/log.h"
#include "sluice/ledger/ledger_url.h"

namespace sluice::ledger {
namespace {

std::string FirstLine(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \n");
  if (start == std::string_view::npos) return {};
  sql = sql.substr(start);
  std::string out(sql.substr(0, sql.find('\n')));
  if (out.size() > 60) out = out.substr(0, 60) + "...";
  return out;
}

// libpq's messages span lines ("...\n\tIs the server running..."): one line reads better in logs.
std::string Trimmed(const char* text) {
  std::string out;
  for (const char* c = text != nullptr ? text : ""; *c != '\0'; ++c) {
    bool space = *c == '\n' || *c == '\t' || *c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : *c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

void PgResult::Deleter::operator()(pg_result* result) const { PQclear(result); }

PgResult::PgResult(pg_result* result) : result_(result) {}

int PgResult::rows() const { return PQntuples(result_.get()); }

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  int64_t value = 0;
  std::from_chars(text, text + PQgetlength(result_.get(), row, column), value);
  return value;
}

std::optional<int64_t> PgResult::OptionalInt(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Int(row, column);
}

bool PgResult::Bool(int row, int column) const {
  return PQgetvalue(result_.get(), row, column)[0] == 't';
}

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

PgParams& PgParams::Add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

PgParams& PgParams::Add(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

PgParams& PgParams::Add(std::optional<int64_t> value) { return value ? Add(*value) : AddNull(); }

PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::AddArray(std::span<const int64_t> values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  values_.emplace_back(std::move(literal));
  return *this;
}

PgParams& PgParams::AddArray(std::span<const std::string> values) {
  // Every element double-quoted, with backslash and quote escaped: the array literal syntax
  // then leaves the text exactly as given (including commas, braces and the word NULL).
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  values_.emplace_back(std::move(literal));
  return *this;
}

std::vector<const char*> PgParams::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

PostgresConnection::PostgresConnection(std::string conninfo,
                                       std::chrono::milliseconds reconnect_timeout)
    : conninfo_(std::move(conninfo)),
      description_(RedactLedgerUrl(conninfo_)),
      reconnect_timeout_(reconnect_timeout) {
  Connect();
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string reason = Trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);  // the destructor does not run for a throwing constructor
    conn_ = nullptr;
    throw IoError("cannot connect to the PostgreSQL ledger: {}", reason)
        .With("ledger", description_);
  }
}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

void PostgresConnection::Connect() {
  PQfinish(conn_);
  prepared_.clear();
  conn_ = PQconnectdb(conninfo_.c_str());
  if (conn_ == nullptr) throw ResourceExhausted("out of memory opening a PostgreSQL connection");
  if (PQstatus(conn_) == CONNECTION_OK) {
    // Warnings (e.g. "relation already exists, skipping") are not the user's business.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
}

void PostgresConnection::EnsureConnected(std::chrono::steady_clock::time_point deadline) {
  for (int tries = 0; PQstatus(conn_) != CONNECTION_OK; ++tries) {
    Connect();
    if (PQstatus(conn_) == CONNECTION_OK) {
      SLUICE_LOG_INFO("reconnected to the PostgreSQL ledger {}", description_);
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw IoError("lost the PostgreSQL ledger and could not reconnect within {} ms: {}",
                    reconnect_timeout_.count(), Trimmed(PQerrorMessage(conn_)))
          .With("ledger", description_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 << std::min(tries, 4), 500)));
  }
}

bool PostgresConnection::Retryable(const Error& error) const {
  if (PQstatus(conn_) != CONNECTION_OK) return true;
  std::string_view state = error.ContextValue("sqlstate");
  return state.starts_with("08") || state == "40001" || state == "40P01" || state == "57P01" ||
         state == "57P02" || state == "57P03";
}

void PostgresConnection::Backoff(int tries, const Error& error) {
  SLUICE_LOG_WARN("PostgreSQL ledger call failed, retrying: {}", error.what());
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(10 << std::min(tries, 6), 500)));
}

PgResult PostgresConnection::Exec(std::string_view sql) {
  std::string text(sql);
  pg_result* result = PQexec(conn_, text.c_str());
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Fail(result, sql);
  return PgResult(result);
}

PgResult PostgresConnection::Run(std::string_view sql, const PgParams& params) {
  auto it = prepared_.find(std::string(sql));
  if (it == prepared_.end()) {
    std::string name = "sluice_" + std::to_string(prepared_.size() + 1);
    pg_result* result = PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) Fail(result, sql);
    PQclear(result);
    it = prepared_.emplace(std::string(sql), std::move(name)).first;
  }
  std::vector<const char*> values = params.Pointers();
  pg_result* result =
      PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Fail(result, sql);
  return PgResult(result);
}

void PostgresConnection::Fail(pg_result* result, std::string_view sql) {
  std::string message = result != nullptr ? Trimmed(PQresultErrorMessage(result)) : "";
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  PQclear(result);
  Error error = sqlstate.starts_with("53") ? ResourceExhausted("PostgreSQL ledger: {}", message)
                                           : IoError("PostgreSQL ledger: {}", message);
  error.With("ledger", description_).With("statement", FirstLine(sql));
  if (!sqlstate.empty()) error.With("sqlstate", sqlstate);
  throw error;
}

}  // namespace sluice::ledger
