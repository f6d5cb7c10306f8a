#include "sluice/ledger/sqlite_connection.h"

#include <sqlite3.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/ledger/sqlite_lock_holder.h"

namespace sluice::ledger {
namespace {

std::string FirstLine(std::string_view sql) {
  std::string out(sql.substr(0, sql.find('\n')));
  if (out.size() > 60) out = out.substr(0, 60) + "...";
  return out;
}

// A wait this long is no longer a hand-over between short transactions: it is worth telling.
constexpr auto kReportWaitAfter = std::chrono::seconds(1);

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Why a ledger at `path` cannot be written, as far as its directory tells.
std::string WhyNotWritable(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
    return fmt::format(
        "{} is on a read-only file system; remount it read-write, or copy the directory (with "
        "its state) to a writable place and run the command there",
        dir.string());
  }
  std::error_code ec;
  if (::access(dir.c_str(), W_OK) != 0 ||
      (std::filesystem::exists(path, ec) && ::access(path.c_str(), R_OK | W_OK) != 0)) {
    return fmt::format("this user cannot write {} or its directory; fix their permissions",
                       path.string());
  }
  return "its file, its -wal and -shm files beside it, or its directory may be unwritable";
}

}  // namespace

SqliteStatement::SqliteStatement(SqliteConnection& connection, std::string_view sql)
    : connection_(connection), sql_(sql) {
  int rc = sqlite3_prepare_v3(connection.handle(), sql_.data(), static_cast<int>(sql_.size()),
                              SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
  if (rc != SQLITE_OK) connection.Fail(rc, "prepare " + FirstLine(sql_));
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK) connection_.Fail(rc, "bind " + FirstLine(sql_));
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK) connection_.Fail(rc, "bind " + FirstLine(sql_));
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::optional<int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK) connection_.Fail(rc, "bind " + FirstLine(sql_));
  return *this;
}

bool SqliteStatement::Step() {
  connection_.BeginCall();
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(statement_);
  connection_.Fail(rc, FirstLine(sql_));
}

void SqliteStatement::Run() {
  while (Step()) {
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(statement_, column); }

std::optional<int64_t> SqliteStatement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::string SqliteStatement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

SqliteConnection::SqliteConnection(const std::filesystem::path& path,
                                   std::chrono::milliseconds busy_timeout)
    : path_(path),
      busy_timeout_(busy_timeout),
      jitter_state_(static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
                    static_cast<uint64_t>(Clock::now().time_since_epoch().count())) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    int system_errno = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
    sqlite3_close(db_);
    db_ = nullptr;
    if (system_errno != 0) {
      throw IoErrorFromErrno(system_errno, "open SQLite ledger", path.string())
          .With("sqlite", message);
    }
    throw IoError("cannot open SQLite ledger: {}", message).With("file", path.string());
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_handler(db_, &SqliteConnection::OnBusy, this);
}

SqliteConnection::~SqliteConnection() {
  statements_.clear();  // finalize before closing
  sqlite3_close(db_);
}

int SqliteConnection::OnBusy(void* self, int count) {
  auto* connection = static_cast<SqliteConnection*>(self);
  if (!connection->busy_since_) connection->busy_since_ = Clock::now();
  return connection->WaitForLock(count, *connection->busy_since_) ? 1 : 0;
}

bool SqliteConnection::WaitForLock(int count, Clock::time_point since) {
  waited_ = Clock::now() - since;
  if (waited_ >= busy_timeout_) return false;
  if (!wait_reported_ && waited_ >= kReportWaitAfter) {
    wait_reported_ = true;
    SLUICE_LOG_WARN("waiting for the SQLite ledger {} ({:.1f} s so far, up to {:g} s): {}",
                    path_.string(), Seconds(waited_), Seconds(busy_timeout_),
                    DescribeWriteLockHolder(path_));
  }
  // Another writer usually holds the lock for tens of microseconds: the steps start at 10 us and
  // double up to 2 ms, each a random 50-100% of that, so a long holder (a checkpoint, a big
  // batch) costs little CPU and waiters spread out instead of retrying together.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  int64_t step_us = std::min<int64_t>(2000, int64_t{10} << std::min(count, 8));
  int64_t jitter_us = static_cast<int64_t>(jitter_state_ % static_cast<uint64_t>(step_us / 2 + 1));
  std::this_thread::sleep_for(std::chrono::microseconds(step_us - jitter_us));
  return true;
}

void SqliteConnection::Exec(std::string_view sql) {
  BeginCall();
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    sqlite3_free(message);
    Fail(rc, FirstLine(sql));
  }
}

void SqliteConnection::EnableWal() {
  const auto started = Clock::now();
  BeginCall();
  for (int count = 0;; ++count) {
    int rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || !WaitForLock(count, started)) {
      waited_ = Clock::now() - started;
      Fail(rc, "PRAGMA journal_mode=WAL");
    }
  }
}

ScopedStatement SqliteConnection::Prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    auto statement = std::make_unique<SqliteStatement>(*this, sql);
    it = statements_.emplace(std::string(sql), std::move(statement)).first;
  }
  return ScopedStatement(*it->second);
}

void SqliteConnection::Fail(int code, std::string_view what) {
  std::string message = sqlite3_errmsg(db_);
  int primary = code & 0xff;
  Error error = IoError("SQLite ledger: {}", message);
  if (primary == SQLITE_FULL) {
    error = ResourceExhausted(
        "SQLite ledger: {}; free space on its file system and run the "
        "command again",
        message);
  } else if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN) {
    error =
        IoError("the SQLite ledger cannot be {} ({}): {}",
                primary == SQLITE_READONLY ? "written" : "opened", message, WhyNotWritable(path_));
  } else if (primary == SQLITE_IOERR) {
    // SQLite says only "disk I/O error"; the system's error says which (a full disk is one) and
    // what to do about it.
    const int system_errno = sqlite3_system_errno(db_);
    error = IoErrorFromErrno(system_errno != 0 ? system_errno : EIO, "SQLite ledger I/O",
                             path_.string());
  } else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    error = InvalidData(
        "the SQLite ledger is damaged ({}): restore it from a copy, or move it away to start its "
        "jobs over (their published output stays)",
        message);
  } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    error = IoError(
        "the SQLite ledger is locked by another process: waited {:.1f} s (the limit is {:g} s); "
        "{}. If that process is hung, stop it and run the command again",
        Seconds(waited_), Seconds(busy_timeout_), DescribeWriteLockHolder(path_));
  }
  throw std::move(error)
      .With("file", path_.string())
      .With("statement", std::string(what))
      .With("sqlite_code", std::to_string(code))
      .With("sqlite", message);
}

SqliteConnection::Transaction::Transaction(SqliteConnection& connection, bool immediate)
    : connection_(connection) {
  connection_.Prepare(immediate ? "BEGIN IMMEDIATE" : "BEGIN")->Run();
}

SqliteConnection::Transaction::~Transaction() {
  if (open_) sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteConnection::Transaction::Commit() {
  SLUICE_CHECK(open_);
  connection_.Prepare("COMMIT")->Run();
  open_ = false;
}

}  // namespace sluice::ledger
