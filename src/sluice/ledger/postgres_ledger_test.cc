// PostgreSQL-only behaviour: surviving a server restart, unreachable servers, schema versions.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/ledger/ledger.h"
#include "sluice/ledger/testing/postgres_server.h"

namespace sluice::ledger {
namespace {

using namespace std::chrono_literals;

void Execute(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* result = PQexec(conn, sql.c_str());
  EXPECT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
}

TEST(PostgresLedger, WorkersReconnectAfterTheServerRestarts) {
  testing::PostgresServer server;
  server.Start();
  std::string url = server.CreateDatabase("restart");
  auto ledger = OpenLedger(url);
  JobId job = ledger->CreateJob("job").id;
  std::vector<PartitionSpec> specs = {{"a"}, {"b"}, {"c"}};
  ledger->AddPartitions(job, specs);
  Lease lease = ledger->Claim(job, {"w", 60s, 1}).at(0);

  server.Restart();  // fast shutdown: our connection is cut
  ledger->Complete(lease.ref(), "{}");
  EXPECT_EQ(ledger->GetPartition(lease.partition_id).status, PartitionStatus::kDone);

  server.Restart(testing::PostgresServer::StopMode::kImmediate);  // a crash
  auto more = ledger->Claim(job, {"w", 60s, 5});
  EXPECT_EQ(more.size(), 2u);

  // Down for a while: calls wait for the server within the reconnect timeout.
  server.Stop();
  std::thread restarter([&] {
    std::this_thread::sleep_for(1s);
    server.Start();
  });
  std::vector<Completion> done;
  for (const Lease& l : more) done.push_back({l.ref(), "{}"});
  std::vector<TransitionResult> results;
  try {
    results = ledger->CompleteMany(done);
  } catch (const Error& error) {
    ADD_FAILURE() << error.what();
  }
  restarter.join();
  EXPECT_EQ(results, std::vector<TransitionResult>(2, TransitionResult::kApplied));
  EXPECT_EQ(ledger->Progress(job).done, 3);
}

TEST(PostgresLedger, GivesUpReconnectingAfterTheTimeout) {
  testing::PostgresServer server;
  server.Start();
  auto ledger = OpenLedger(server.CreateDatabase("gone"), {.reconnect_timeout = 500ms});
  JobId job = ledger->CreateJob("job").id;
  server.Stop();
  auto start = std::chrono::steady_clock::now();
  try {
    ledger->Progress(job);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo) << error.what();
    EXPECT_NE(std::string(error.what()).find("127.0.0.1"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(PostgresLedger, UnreachableServerIsAnIoError) {
  try {  // nothing listens on port 1
    OpenLedger("postgresql://sluice:secret@127.0.0.1:1/postgres?connect_timeout=2");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    std::string text = error.what();
    EXPECT_EQ(text.find("secret"), std::string::npos) << "password leaked: " << text;
    EXPECT_NE(text.find("***"), std::string::npos) << text;
  }
}

TEST(PostgresLedger, SchemaIsVersionedAndNewerSchemasAreRefused) {
  testing::PostgresServer server;
  server.Start();
  std::string url = server.CreateDatabase("versions");
  OpenLedger(url);
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* result = PQexec(conn, "SELECT version FROM sluice_schema_version");
  ASSERT_EQ(PQntuples(result), 1);
  EXPECT_STREQ(PQgetvalue(result, 0, 0), "2");
  PQclear(result);
  PQfinish(conn);
  Execute(url, "UPDATE sluice_schema_version SET version = 99");
  try {
    OpenLedger(url);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotSupported) << error.what();
  }
}

TEST(PostgresLedger, ConcurrentFirstOpensCreateTheSchemaOnce) {
  testing::PostgresServer server;
  server.Start();
  std::string url = server.CreateDatabase("race");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      try {
        OpenLedger(url)->CreateJob("same");
      } catch (const Error& error) {
        ADD_FAILURE() << error.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(OpenLedger(url)->ListJobs().size(), 1u);
}

// Opening a ledger whose schema is current takes no lock: hundreds of workers connecting at once
// must not queue on the migration lock (held here by another session the whole time).
TEST(PostgresLedger, OpensOfACurrentSchemaTakeNoMigrationLock) {
  testing::PostgresServer server;
  server.Start();
  std::string url = server.CreateDatabase("nolock");
  OpenLedger(url);
  PGconn* holder = PQconnectdb(url.c_str());
  constexpr int64_t kMigrationLock = 0x736c7569636501;  // postgres_ledger.cc's
  PGresult* locked =
      PQexec(holder, ("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")").c_str());
  ASSERT_EQ(PQresultStatus(locked), PGRES_TUPLES_OK) << PQerrorMessage(holder);
  PQclear(locked);
  std::atomic<bool> opened{false};
  std::thread open([&] {
    OpenLedger(url)->ListJobs();
    opened = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!opened && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(opened) << "opening the ledger waited for the migration lock";
  PQfinish(holder);  // releases the lock, so a blocked open ends too
  open.join();
}

}  // namespace
}  // namespace sluice::ledger
