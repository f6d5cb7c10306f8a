// SqliteConnection: one open SQLite database with prepared-statement caching, a busy handler that
// waits in short jittered steps (so processes sharing the write lock hand it over in microseconds,
// not in SQLite's default millisecond sleeps, and no two waiters retry in lockstep; the steps stop
// growing at 2 ms so that a waiter that has waited long retries as often as a newcomer), and RAII
// transactions. A wait longer than a second is reported once, naming the process that holds the
// lock (sqlite_lock_holder.h); a wait past the busy timeout fails with how long it really waited
// and that holder. Every SQLite failure becomes a sluice::Error (Io, or ResourceExhausted when the
// disk is full) naming the database and the statement.
//
// Ownership: the connection owns its sqlite3 handle and every cached statement; a Statement
// reference stays valid for the connection's lifetime.
// Thread safety: none; the owner serializes all use (SqliteLedger holds its Ledger mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::ledger {

class SqliteConnection;

class SqliteStatement {
 public:
  SqliteStatement(SqliteConnection& connection, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied.
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& Bind(int index, std::optional<int64_t> value);
  SqliteStatement& BindNull(int index);

  // Advances to the next row; false when the statement is done.
  bool Step();
  // Steps to completion, discarding rows.
  void Run();
  // Ends the execution (releasing its read snapshot) and clears the bindings.
  void Reset();

  // Columns are 0-based.
  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;  // "" for NULL

 private:
  SqliteConnection& connection_;
  sqlite3_stmt* statement_ = nullptr;
  std::string sql_;
};

// A cached statement in use; resets it when destroyed, so that no half-read statement keeps a
// stale read snapshot open.
class ScopedStatement {
 public:
  explicit ScopedStatement(SqliteStatement& statement) : statement_(&statement) {}
  ~ScopedStatement() { statement_->Reset(); }
  ScopedStatement(const ScopedStatement&) = delete;
  ScopedStatement& operator=(const ScopedStatement&) = delete;
  SqliteStatement* operator->() { return statement_; }
  SqliteStatement& operator*() { return *statement_; }

 private:
  SqliteStatement* statement_;
};

class SqliteConnection {
 public:
  // Opens (creating) the database file. Io error naming the path when it cannot be opened.
  SqliteConnection(const std::filesystem::path& path, std::chrono::milliseconds busy_timeout);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs SQL text without results (may hold several statements).
  void Exec(std::string_view sql);
  // Puts the database file in WAL mode. SQLite fails this pragma at once, without calling the
  // busy handler, while another connection reads or converts the file (waiting could deadlock
  // two readers that both want to convert), so several processes opening a new ledger together
  // retry it here, with the busy handler's steps and limit.
  void EnableWal();
  // A statement prepared once per connection and reused; `sql` is the cache key.
  ScopedStatement Prepare(std::string_view sql);

  // Converts the last failure of `code` into an Error naming the database and `what`.
  [[noreturn]] void Fail(int code, std::string_view what);

  sqlite3* handle() { return db_; }
  const std::filesystem::path& path() const { return path_; }

  // An open transaction; rolled back by the destructor unless committed. `immediate` takes the
  // write lock at once (BEGIN IMMEDIATE), which every writing transaction must do so that no
  // read-to-write upgrade can fail with SQLITE_BUSY half-way.
  class Transaction {
   public:
    Transaction(SqliteConnection& connection, bool immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void Commit();

   private:
    SqliteConnection& connection_;
    bool open_ = true;
  };

 private:
  friend class SqliteStatement;
  using Clock = std::chrono::steady_clock;

  static int OnBusy(void* self, int count);
  // Sleeps one step of the `count`th retry of a wait that began at `since`, first reporting a
  // long wait; false (without sleeping) once the busy timeout has passed.
  bool WaitForLock(int count, Clock::time_point since);
  // A call into SQLite begins: it has not waited yet. (SQLite's own count of busy-handler calls
  // is not always reset between waits, so the start of a wait is kept here, per call.)
  void BeginCall() {
    waited_ = {};
    busy_since_.reset();
    wait_reported_ = false;
  }

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::chrono::milliseconds busy_timeout_;
  std::optional<Clock::time_point> busy_since_;  // when the current call began to wait
  Clock::duration waited_{};                     // how long the current call has waited
  bool wait_reported_ = false;                   // the current wait was logged
  uint64_t jitter_state_;                        // xorshift state for the wait steps
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> statements_;
};

}  // namespace sluice::ledger
