#include "sluice/ledger/testing/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/testing/child_process.h"
#include "sluice/base/testing/loopback.h"
#include "sluice/ledger/sql_identifier.h"

namespace sluice::ledger::testing {
namespace {

constexpr const char* kSuperuser = "sluice";
constexpr auto kStartTimeout = std::chrono::seconds(60);

// The account the server runs as: ourselves, or `postgres` when we are root.
struct Account {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Account ServerAccount() {
  Account account;
  if (geteuid() != 0) return account;
  passwd* entry = getpwnam("postgres");
  if (entry == nullptr) {
    throw NotFound(
        "running as root, but there is no `postgres` user to run the test server as; install "
        "the postgresql package (scripts/deps.sh)");
  }
  account.switch_user = true;
  account.uid = entry->pw_uid;
  account.gid = entry->pw_gid;
  return account;
}

}  // namespace

std::filesystem::path FindPostgresBinDir() {
  auto has_server = [](const std::filesystem::path& dir) {
    return std::filesystem::exists(dir / "initdb") && std::filesystem::exists(dir / "postgres");
  };
  if (const char* env = std::getenv("SLUICE_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (!has_server(env)) {
      throw NotFound("SLUICE_PG_BINDIR has no initdb and postgres").With("file", env);
    }
    return env;
  }
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (has_server(entry.path() / "bin")) found.push_back(entry.path() / "bin");
  }
  if (found.empty()) {
    throw NotFound(
        "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin; install the postgresql "
        "package (scripts/deps.sh) or set SLUICE_PG_BINDIR");
  }
  // Newest version: compare the version directory names numerically.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::atoi(a.parent_path().filename().c_str()) <
           std::atoi(b.parent_path().filename().c_str());
  });
  return found.back();
}

PostgresServer::PostgresServer(PostgresServerOptions options)
    : spawner_(std::make_unique<sluice::testing::SpawnThread>()),
      options_(options),
      bin_dir_(FindPostgresBinDir()) {
  // /tmp rather than $TMPDIR: the unix socket path must stay under ~100 bytes.
  std::string pattern = "/tmp/sluice-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw IoErrorFromErrno(errno, "mkdtemp", pattern);
  directory_ = pattern;
  Account account = ServerAccount();
  if (account.switch_user && chown(directory_.c_str(), account.uid, account.gid) != 0) {
    throw IoErrorFromErrno(errno, "chown test server directory", directory_.string());
  }
  pid_t pid = Spawn({(bin_dir_ / "initdb").string(), "-D", (directory_ / "data").string(), "-U",
                     kSuperuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                    directory_ / "initdb.log");
  int status = sluice::testing::WaitForChild(pid, std::chrono::seconds(120));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream log(directory_ / "initdb.log");
    std::stringstream text;
    text << log.rdbuf();
    throw IoError("initdb failed: {}", text.str()).With("file", directory_.string());
  }
  // initdb trusts only loopback clients; `samenet` adds the subnets of the server's addresses.
  if (!options_.listen_address.empty()) {
    std::ofstream hba(directory_ / "data" / "pg_hba.conf", std::ios::app);
    hba << "host all all samenet trust\n";
  }
}

PostgresServer::~PostgresServer() {
  if (running()) Stop(StopMode::kImmediate);
  std::error_code ec;
  std::filesystem::remove_all(directory_, ec);
}

pid_t PostgresServer::Spawn(const std::vector<std::string>& argv,
                            const std::filesystem::path& log) {
  return spawner_->Run([&] { return ForkExec(argv, log); });
}

pid_t PostgresServer::ForkExec(const std::vector<std::string>& argv,
                               const std::filesystem::path& log) {
  Account account = ServerAccount();
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw IoErrorFromErrno(errno, "open", log.string());
  if (account.switch_user) (void)fchown(log_fd, account.uid, account.gid);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    throw IoErrorFromErrno(errno, "fork", argv[0]);
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    setsid();  // no terminal signals (Ctrl-C goes to the test, which then stops the server)
    if (account.switch_user &&
        (setgroups(0, nullptr) != 0 || setgid(account.gid) != 0 || setuid(account.uid) != 0)) {
      _exit(126);
    }
    // After the user switch, which would clear it: the server must not outlive the test.
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(125);
    if (chdir(directory_.c_str()) != 0) _exit(124);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

void PostgresServer::Start() {
  if (running()) return;
  bool keep_port = port_ != 0;  // a restart keeps its port so clients can reconnect
  for (int tries = 0;; ++tries) {
    if (!keep_port) port_ = sluice::testing::FreeLoopbackPort();
    pid_ = Spawn(
        {(bin_dir_ / "postgres").string(), "-D", (directory_ / "data").string(), "-p",
         std::to_string(port_), "-k", directory_.string(), "-c",
         "listen_addresses=" + ListenAddresses(), "-c", options_.fsync ? "fsync=on" : "fsync=off",
         "-c", "max_connections=" + std::to_string(options_.max_connections), "-c",
         "shared_buffers=64MB"},
        directory_ / "server.log");
    std::string ping = fmt::format(
        "host=127.0.0.1 port={} dbname=postgres user={} connect_timeout=2", port_, kSuperuser);
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (true) {
      if (PQping(ping.c_str()) == PQPING_OK) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        break;  // exited: most likely the port was taken between choosing and binding it
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        Stop(StopMode::kImmediate);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (keep_port || tries >= 2) {
      throw IoError("the test PostgreSQL server did not start: {}", LogTail(2000))
          .With("file", (directory_ / "server.log").string());
    }
  }
}

void PostgresServer::Stop(StopMode mode) {
  if (!running()) return;
  kill(pid_, mode == StopMode::kFast ? SIGINT : SIGQUIT);
  sluice::testing::WaitForChild(pid_, std::chrono::seconds(60));
  pid_ = 0;
}

void PostgresServer::Restart(StopMode mode) {
  Stop(mode);
  Start();
}

std::string PostgresServer::ListenAddresses() const {
  return options_.listen_address.empty() ? "127.0.0.1" : "127.0.0.1," + options_.listen_address;
}

std::string PostgresServer::Url(std::string_view database) const {
  std::string_view host =
      options_.listen_address.empty() ? "127.0.0.1" : std::string_view(options_.listen_address);
  return fmt::format("postgresql://{}@{}:{}/{}", kSuperuser, host, port_, database);
}

std::string PostgresServer::CreateDatabase(std::string_view name) {
  PGconn* conn = PQconnectdb(Url().c_str());
  std::string sql = "CREATE DATABASE " + QuoteSqlIdentifier(name);
  PGresult* result = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql.c_str()) : nullptr;
  bool ok = result != nullptr && PQresultStatus(result) == PGRES_COMMAND_OK;
  std::string message = PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (!ok)
    throw IoError("cannot create test database: {}", message).With("database", std::string(name));
  return Url(name);
}

std::string PostgresServer::LogTail(size_t bytes) const {
  std::ifstream log(directory_ / "server.log");
  std::stringstream text;
  text << log.rdbuf();
  std::string all = text.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace sluice::ledger::testing
