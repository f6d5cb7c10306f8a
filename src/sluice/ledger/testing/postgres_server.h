// PostgresServer: a throwaway PostgreSQL server for tests and benchmarks, from Debian's server
// packages (`postgresql`): initdb into a fresh temporary directory, then postgres listening on a
// free loopback port with its unix socket in that directory and trust authentication for the
// superuser "sluice". PostgreSQL refuses to run as root, so when the process is root the server
// runs as the `postgres` system user. Start/Stop/Restart let reliability tests take the server
// away in the middle of a job; the port and the data survive a restart.
//
// Ownership: the object owns the directory and the server process; the destructor stops the
// server and removes the directory. Processes are forked from a thread the object owns, so that
// the server gets SIGQUIT (PR_SET_PDEATHSIG) if the test process dies, but not when a short-lived
// thread that called Start or Restart ends.
// Thread safety: none; use from one thread (the test's). Connections from any thread are fine.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::testing {
class SpawnThread;
}  // namespace sluice::testing

namespace sluice::ledger::testing {

struct PostgresServerOptions {
  // Off by default: tests do not need durability and run faster without it. Benchmarks that
  // report numbers should turn it on.
  bool fsync = false;
  // Empty: loopback only. Else the server also listens on this address (a test cluster's bridge,
  // which nodes in other network namespaces reach), trusts clients on its subnets, and Url()
  // names it.
  std::string listen_address;
  // Enough for the tests' processes; a load test of many workers (two connections each: claims
  // and heartbeats) asks for more.
  int max_connections = 200;
};

class PostgresServer {
 public:
  enum class StopMode {
    kFast,       // SIGINT: roll back open transactions, disconnect clients, clean shutdown
    kImmediate,  // SIGQUIT: abort at once, crash recovery on the next start
  };

  // Runs initdb. Throws NotFound when the server binaries are missing, Io when initdb fails.
  explicit PostgresServer(PostgresServerOptions options = {});
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts the server and waits until it accepts connections (Io error with the server log's
  // tail when it does not within 60 s).
  void Start();
  void Stop(StopMode mode = StopMode::kFast);
  void Restart(StopMode mode = StopMode::kFast);
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  // postgresql://sluice@ADDRESS:PORT/DATABASE; ADDRESS is the listen_address or 127.0.0.1.
  std::string Url(std::string_view database = "postgres") const;
  // Creates a database (name quoted, never spliced) and returns its URL.
  std::string CreateDatabase(std::string_view name);

  const std::filesystem::path& directory() const { return directory_; }
  // The last lines of the server's log, for failure messages.
  std::string LogTail(size_t bytes = 4000) const;

 private:
  std::string ListenAddresses() const;  // postgres' listen_addresses setting
  pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);
  pid_t ForkExec(const std::vector<std::string>& argv, const std::filesystem::path& log);

  std::unique_ptr<sluice::testing::SpawnThread> spawner_;
  PostgresServerOptions options_;
  std::filesystem::path bin_dir_;
  std::filesystem::path directory_;
  int port_ = 0;
  pid_t pid_ = 0;
};

// Where Debian's PostgreSQL server binaries are: $SLUICE_PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin holding initdb and postgres. NotFound (saying to run
// scripts/deps.sh) when there is none.
std::filesystem::path FindPostgresBinDir();

}  // namespace sluice::ledger::testing
