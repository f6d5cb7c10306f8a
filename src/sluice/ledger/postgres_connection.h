// PostgresConnection: one libpq connection with prepared-statement caching, text parameters
// (including array literals, so a batch is one parameter), and recovery from a lost connection:
// Retrying(fn) re-opens the connection and re-runs fn when the server went away, restarted or
// refused the statement as a deadlock or serialization failure, until a deadline. Every failure
// becomes a sluice::Error (Io) naming the server (password hidden), the statement and the
// SQLSTATE.
//
// Ownership: the connection owns its PGconn; a PgResult owns its PGresult.
// Thread safety: none; the owner serializes all use (PostgresLedger holds its Ledger mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/base/error.h"

struct pg_conn;
struct pg_result;

namespace sluice::ledger {

class PgResult {
 public:
  explicit PgResult(pg_result* result);
  int rows() const;
  bool IsNull(int row, int column) const;
  int64_t Int(int row, int column) const;
  std::optional<int64_t> OptionalInt(int row, int column) const;
  bool Bool(int row, int column) const;
  std::string Text(int row, int column) const;  // "" for NULL

 private:
  struct Deleter {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Deleter> result_;
};

// Text-format parameters for one statement, numbered $1, $2... in the order added.
class PgParams {
 public:
  PgParams& Add(int64_t value);
  PgParams& Add(std::string_view value);
  PgParams& Add(std::optional<int64_t> value);
  PgParams& AddNull();
  PgParams& AddArray(std::span<const int64_t> values);      // a bigint[] literal
  PgParams& AddArray(std::span<const std::string> values);  // a text[] literal

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object, valid while it lives and is not changed.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

class PostgresConnection {
 public:
  // Connects once; Io error (with libpq's reason) when the server cannot be reached.
  PostgresConnection(std::string conninfo, std::chrono::milliseconds reconnect_timeout);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Runs SQL text without parameters (may hold several statements).
  PgResult Exec(std::string_view sql);
  // Runs a statement with parameters, preparing it on first use on this connection.
  PgResult Run(std::string_view sql, const PgParams& params);

  // Calls fn; when it fails because the connection was lost, the server is restarting, or the
  // statement lost a deadlock, reconnects as needed and calls fn again, until reconnect_timeout
  // has passed. fn must be safe to repeat.
  template <typename F>
  auto Retrying(F&& fn) -> decltype(fn()) {
    auto deadline = std::chrono::steady_clock::now() + reconnect_timeout_;
    for (int tries = 0;; ++tries) {
      try {
        EnsureConnected(deadline);
        return fn();
      } catch (const Error& error) {
        if (!Retryable(error) || std::chrono::steady_clock::now() >= deadline) throw;
        Backoff(tries, error);
      }
    }
  }

  // The conninfo without its password, for messages.
  const std::string& description() const { return description_; }

 private:
  void Connect();
  void EnsureConnected(std::chrono::steady_clock::time_point deadline);
  bool Retryable(const Error& error) const;
  void Backoff(int tries, const Error& error);
  [[noreturn]] void Fail(pg_result* result, std::string_view sql);

  std::string conninfo_;
  std::string description_;
  std::chrono::milliseconds reconnect_timeout_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

}  // namespace sluice::ledger
