#include "sluice/io/fs/testing/s3_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/testing/child_process.h"
#include "sluice/base/testing/daemon_files.h"
#include "sluice/base/testing/loopback.h"

namespace sluice::fs::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartTimeout = 90s;
constexpr const char* kGatewayName = "client.rgw.sluice";

// Where a Ceph binary is: $SLUICE_CEPH_BINDIR when set, else /usr/bin or /usr/sbin (Debian puts
// the daemons in /usr/bin).
std::string FindBinary(const std::string& name) {
  std::vector<std::string> dirs = {"/usr/bin", "/usr/sbin", "/usr/local/bin"};
  if (const char* env = std::getenv("SLUICE_CEPH_BINDIR"); env != nullptr && *env != '\0') {
    dirs = {env};
  }
  for (const std::string& dir : dirs) {
    std::string path = dir + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  throw NotFound(
      "no {} binary: install Ceph's RADOS Gateway packages (ceph-mon ceph-osd radosgw "
      "ceph-common ceph-base; scripts/deps.sh does)",
      name);
}

std::string RandomUuid() {
  std::random_device device;
  std::mt19937_64 random(device());
  uint64_t a = random(), b = random();
  return fmt::format("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                     a & 0xfff, b >> 52, b & 0xffffffffffffULL);
}

}  // namespace

S3Server::S3Server(S3ServerOptions options)
    : spawner_(std::make_unique<sluice::testing::SpawnThread>()), options_(options) {
  // Fail before making anything when Ceph is not installed.
  for (const char* name :
       {"ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph"}) {
    FindBinary(name);
  }
  // /tmp: the daemons' admin sockets need a short path.
  sluice::testing::RemoveDirectoriesOfDeadProcesses("sluice-s3-");
  std::string pattern = fmt::format("/tmp/sluice-s3-{}-XXXXXX", getpid());
  if (mkdtemp(pattern.data()) == nullptr) throw IoErrorFromErrno(errno, "mkdtemp", pattern);
  directory_ = pattern;
  try {
    Start();
  } catch (...) {
    StopAll();
    std::error_code ec;
    std::filesystem::remove_all(directory_, ec);
    throw;
  }
}

S3Server::~S3Server() {
  client_.reset();
  StopAll();
  std::error_code ec;
  std::filesystem::remove_all(directory_, ec);
}

void S3Server::StopAll() {
  // The cluster's data lives in memory and the directory goes next: SIGKILL loses nothing and
  // does not wait for the OSD's slow shutdown.
  for (pid_t pid : pids_) kill(pid, SIGKILL);
  for (pid_t pid : pids_) sluice::testing::WaitForChild(pid, 10s);
  pids_.clear();
}

pid_t S3Server::Spawn(const std::vector<std::string>& argv, const std::string& log_name) {
  return spawner_->Run([&]() -> pid_t {
    std::filesystem::path log = directory_ / "log" / log_name;
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw IoErrorFromErrno(errno, "open", log.string());
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
      setsid();  // Ctrl-C goes to the test, which then stops the server
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(125);
      if (chdir(directory_.c_str()) != 0) _exit(124);
      execv(args[0], args.data());
      _exit(127);
    }
    close(log_fd);
    return pid;
  });
}

void S3Server::Run(const std::vector<std::string>& argv, const std::string& log_name,
                   int timeout_s) {
  pid_t pid = Spawn(argv, log_name);
  int status = sluice::testing::WaitForChild(pid, std::chrono::seconds(timeout_s));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw IoError("the test S3 server's setup step {} failed: {}", argv[0],
                  sluice::testing::FileTail(directory_ / "log" / log_name, 2000))
        .With("file", (directory_ / "log" / log_name).string());
  }
}

void S3Server::Start() {
  const std::string dir = directory_.string();
  for (const char* sub : {"log", "run", "mon", "osd", "rgw"}) {
    std::filesystem::create_directories(directory_ / sub);
  }
  const int mon_port = sluice::testing::FreeLoopbackPort();
  int rgw_port = sluice::testing::FreeLoopbackPort();
  while (rgw_port == mon_port) rgw_port = sluice::testing::FreeLoopbackPort();
  const std::string fsid = RandomUuid();
  const std::string mon_address = fmt::format("[v2:127.0.0.1:{}]", mon_port);
  const std::string conf = dir + "/ceph.conf";
  {
    std::ofstream out(conf);
    out << "[global]\n"
        << "fsid = " << fsid << "\n"
        << "mon host = " << mon_address << "\n"
        << "public addr = 127.0.0.1\n"
        << "ms bind msgr1 = false\n"
        // No cephx inside the throwaway cluster; the gateway still checks S3 signatures.
        << "auth cluster required = none\n"
        << "auth service required = none\n"
        << "auth client required = none\n"
        << "keyring = /dev/null\n"
        // One OSD: pools of one replica, placement across OSDs rather than hosts.
        << "osd pool default size = 1\n"
        << "osd pool default min size = 1\n"
        << "osd pool default pg num = 8\n"
        << "osd pool default pgp num = 8\n"
        << "osd crush chooseleaf type = 0\n"
        << "mon data avail crit = 0\n"       // the monitor would stop below 5% free disk
        << "paxos propose interval = 0.1\n"  // cold start 13 s -> 3 s
        << "ms async op threads = 1\n"
        << "run dir = " << dir << "/run\n"
        << "log file = " << dir << "/log/$name.log\n"
        << "admin socket = " << dir << "/run/$name.$pid.asok\n"
        << "[mon.a]\n"
        << "mon data = " << dir << "/mon\n"
        << "[osd.0]\n"
        << "osd data = " << dir << "/osd\n"
        << "osd objectstore = memstore\n"
        << "memstore device bytes = " << options_.memory_bytes << "\n"
        << "[" << kGatewayName << "]\n"
        << "ms mon client mode = crc\n"  // else radosgw loops on get_initial_auth_request -13
        // tcp_nodelay: else each answer's body waits ~40 ms behind its headers (Nagle's algorithm
        // against the client's delayed ACK) on every reused connection.
        << "rgw frontends = beast endpoint=127.0.0.1:" << rgw_port
        << (options_.listen_address.empty()
                ? ""
                : fmt::format(" endpoint={}:{}", options_.listen_address, rgw_port))
        << " tcp_nodelay=1\n"
        << "rgw data = " << dir << "/rgw\n"
        << "rgw thread pool size = 8\n"
        << "rgw gc obj min wait = 60\n";
  }
  const std::string osd_uuid = RandomUuid();
  Run({FindBinary("monmaptool"), "-c", conf, "--create", "--fsid", fsid, "--addv", "a", mon_address,
       dir + "/monmap"},
      "monmaptool.log");
  Run({FindBinary("ceph-mon"), "-c", conf, "--mkfs", "-i", "a", "--monmap", dir + "/monmap",
       "--keyring", "/dev/null"},
      "mon-mkfs.log");
  pids_.push_back(Spawn({FindBinary("ceph-mon"), "-c", conf, "-f", "-i", "a"}, "mon.out"));
  Run({FindBinary("ceph"), "-c", conf, "--connect-timeout", "60", "osd", "new", osd_uuid},
      "osd-new.log", 90);
  Run({FindBinary("ceph-osd"), "-c", conf, "-i", "0", "--mkfs", "--osd-uuid", osd_uuid},
      "osd-mkfs.log");
  pids_.push_back(Spawn({FindBinary("ceph-osd"), "-c", conf, "-f", "-i", "0"}, "osd.out"));
  pids_.push_back(Spawn({FindBinary("radosgw"), "-c", conf, "-f", "-n", kGatewayName}, "rgw.out"));

  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!sluice::testing::LoopbackPortAccepts(rgw_port)) {
    for (pid_t pid : pids_) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pids_.erase(std::find(pids_.begin(), pids_.end(), pid));
        throw IoError("a test S3 server daemon exited during start-up: {}", LogTail());
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw IoError("the test S3 server did not open its port within {} s: {}",
                    kStartTimeout.count(), LogTail());
    }
    std::this_thread::sleep_for(20ms);
  }
  Run({FindBinary("radosgw-admin"), "-c", conf, "-n", kGatewayName, "user", "create", "--uid",
       "sluice", "--display-name", "sluice tests", "--access-key", std::string(kAccessKey),
       "--secret-key", std::string(kSecretKey)},
      "user-create.log");
  endpoint_ = fmt::format("http://{}:{}",
                          options_.listen_address.empty() ? "127.0.0.1" : options_.listen_address,
                          rgw_port);
  S3ClientOptions client_options;
  client_options.retry.operation_deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  client_options.retry.max_attempts = 100;
  client_options.retry.max_delay = 500ms;
  // The warm-up bucket: the gateway's first bucket takes seconds while it sets up its pools.
  S3Client(Config(), client_options).CreateBucket("sluice-warm-up");
  client_ = std::make_shared<S3Client>(Config());
}

AwsConfig S3Server::Config() const {
  AwsConfig config;
  config.credentials = {std::string(kAccessKey), std::string(kSecretKey), ""};
  config.region = std::string(kRegion);
  config.endpoint = endpoint_;
  config.path_style = true;
  config.credentials_source = "the test S3 server";
  return config;
}

std::string S3Server::CreateBucket(std::string_view name) {
  client_->CreateBucket(name);
  return "s3://" + std::string(name) + "/";
}

std::vector<std::pair<std::string, std::string>> S3Server::Environment() const {
  return {{"AWS_ENDPOINT_URL", endpoint_},
          {"AWS_ACCESS_KEY_ID", std::string(kAccessKey)},
          {"AWS_SECRET_ACCESS_KEY", std::string(kSecretKey)},
          {"AWS_REGION", std::string(kRegion)}};
}

std::string S3Server::LogTail(size_t bytes) const {
  std::string out;
  for (const char* name : {"mon.out", "osd.out", "rgw.out", "client.rgw.sluice.log"}) {
    std::string tail = sluice::testing::FileTail(directory_ / "log" / name, bytes);
    if (!tail.empty()) out += fmt::format("\n--- {} ---\n{}", name, tail);
  }
  return out;
}

S3Server* SharedS3Server(std::string* why_not) {
  static std::string error;
  static std::unique_ptr<S3Server> server = []() -> std::unique_ptr<S3Server> {
    try {
      return std::make_unique<S3Server>();
    } catch (const std::exception& e) {
      error = e.what();
      return nullptr;
    }
  }();
  if (server == nullptr && why_not != nullptr) {
    *why_not = "no test S3 server (Ceph RGW): " + error;
  }
  return server.get();
}

}  // namespace sluice::fs::testing
