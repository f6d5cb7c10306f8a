// SQLite-only behaviour: files, directories, journal mode, schema versions, several processes.
#include "sluice/ledger/sqlite_ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"

namespace sluice::ledger {
namespace {

using namespace std::chrono_literals;

class SqliteLedgerTest : public ::testing::Test {
 protected:
  ScratchDir scratch_{"sluice-sqlite"};
  const std::filesystem::path& dir_ = scratch_.path();

  std::string Query(const std::filesystem::path& db, const char* sql) {
    sqlite3* handle = nullptr;
    sqlite3_open(db.c_str(), &handle);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(handle, sql, -1, &statement, nullptr);
    std::string out;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    sqlite3_close(handle);
    return out;
  }
};

ErrorKind KindOfOpen(std::string_view url) {
  try {
    OpenLedger(url);
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::kInternal;
}

TEST_F(SqliteLedgerTest, CreatesTheStateDirectoryAndUsesWal) {
  std::filesystem::path db = dir_ / "a" / "b" / "ledger.db";
  auto ledger = OpenLedger("sqlite:" + db.string());
  EXPECT_EQ(ledger->description(), "sqlite:" + db.string());
  EXPECT_TRUE(std::filesystem::exists(db));
  EXPECT_EQ(Query(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Query(db, "SELECT version FROM sluice_schema_version"), "2");
}

TEST_F(SqliteLedgerTest, UnusableLocationsAreClearErrors) {
  std::ofstream(dir_ / "file") << "not a directory";
  EXPECT_EQ(KindOfOpen((dir_ / "file" / "ledger.db").string()), ErrorKind::kIo);
  EXPECT_EQ(KindOfOpen(dir_.string()), ErrorKind::kInvalidArgument);  // a directory
  std::ofstream(dir_ / "garbage.db") << "this is not a SQLite database, just text....";
  try {
    OpenLedger((dir_ / "garbage.db").string());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_EQ(error.ContextValue("file"), (dir_ / "garbage.db").string()) << error.what();
  }
  if (geteuid() != 0) {  // root reads everything
    std::filesystem::create_directory(dir_ / "locked");
    std::filesystem::permissions(dir_ / "locked", std::filesystem::perms::none);
    EXPECT_EQ(KindOfOpen((dir_ / "locked" / "ledger.db").string()), ErrorKind::kIo);
    std::filesystem::permissions(dir_ / "locked", std::filesystem::perms::owner_all);
  }
}

TEST_F(SqliteLedgerTest, NewerSchemaIsRefused) {
  std::filesystem::path db = dir_ / "ledger.db";
  OpenLedger(db.string());
  Query(db, "UPDATE sluice_schema_version SET version = 7");
  try {
    OpenLedger(db.string());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotSupported) << error.what();
  }
}

TEST_F(SqliteLedgerTest, AVersionOneLedgerIsMigratedAndKeepsItsJobs) {
  std::filesystem::path db = dir_ / "ledger.db";
  {
    auto ledger = OpenLedger(db.string());
    JobId job = ledger->CreateJob("old").id;
    ledger->AddPartitions(job, std::vector<PartitionSpec>{{"a"}, {"b"}});
  }
  // The schema as version 1 left it, before partitions held resources.
  Query(db, "ALTER TABLE partitions DROP COLUMN resources");
  Query(db, "UPDATE sluice_schema_version SET version = 1");
  ASSERT_EQ(Query(db, "SELECT version FROM sluice_schema_version"), "1");
  auto ledger = OpenLedger(db.string());
  EXPECT_EQ(Query(db, "SELECT version FROM sluice_schema_version"), "2");
  JobId job = ledger->FindJob("old")->id;
  EXPECT_EQ(ledger->Claim(job, {"w", 60s, 5, {{"es", 1}}}).size(), 1u);
  EXPECT_TRUE(ledger->Claim(job, {"w", 60s, 5, {{"es", 1}}}).empty());
}

TEST_F(SqliteLedgerTest, WorkerProcessesNeverShareAPartition) {
  std::string url = "sqlite:" + (dir_ / "ledger.db").string();
  JobId job;
  {
    auto ledger = OpenLedger(url);
    job = ledger->CreateJob("procs").id;
    std::vector<PartitionSpec> specs;
    for (int i = 0; i < 2000; ++i) specs.push_back({std::to_string(i)});
    ledger->AddPartitions(job, specs);
  }
  std::vector<pid_t> children;
  for (int w = 0; w < 3; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        auto ledger = OpenLedger(url);
        while (true) {
          auto leases = ledger->Claim(job, {"proc" + std::to_string(w), 60s, 5});
          if (leases.empty()) break;
          std::vector<Completion> done;
          for (const Lease& l : leases) {
            done.push_back({l.ref(), "{\"by\":" + std::to_string(w) + "}"});
          }
          for (auto r : ledger->CompleteMany(done)) {
            if (r != TransitionResult::kApplied) code = 2;
          }
        }
      } catch (const std::exception& error) {
        fprintf(stderr, "worker %d: %s\n", w, error.what());
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto ledger = OpenLedger(url);
  JobProgress progress = ledger->Progress(job);
  EXPECT_EQ(progress.done, 2000);
  EXPECT_EQ(progress.claims, 2000);  // every partition claimed exactly once
  std::set<std::string> workers;
  for (PartitionId after = 0;;) {
    auto page = ledger->ListPartitions(job, {std::nullopt, after, 500});
    if (page.empty()) break;
    for (const auto& p : page) workers.insert(p.lease_owner);
    after = page.back().id;
  }
  EXPECT_GE(workers.size(), 2u) << "only one worker process got any work";
}

}  // namespace
}  // namespace sluice::ledger
