// S3Server: a real S3-compatible server for tests and benchmarks: Ceph's RADOS Gateway from
// Debian's packages (ceph-mon, ceph-osd, radosgw; scripts/deps.sh installs them) on a throwaway
// one-machine cluster in a fresh /tmp directory: one monitor, one OSD keeping objects in memory
// (memstore), one gateway on a free loopback port, cephx off inside the cluster. The gateway does
// check SigV4 signatures, so a signing bug fails a test. One user with fixed keys (kAccessKey,
// kSecretKey); a warm-up bucket is created at start (the first bucket takes seconds).
//
// Ownership: the object owns the directory (/tmp/sluice-s3-<pid>-*) and the three processes; the
// destructor kills them by PID (the data lives in memory: nothing to flush) and removes the
// directory. Directories of test processes that died are removed by the next server's start.
// Processes are forked from a thread the object owns, so they get SIGKILL (PR_SET_PDEATHSIG) if the
// test process dies but not when a short-lived thread that created the server ends. Thread safety:
// none for the object itself; clients from any thread are fine.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/io/fs/aws_config.h"
#include "sluice/io/fs/s3_client.h"

namespace sluice::testing {
class SpawnThread;
}  // namespace sluice::testing

namespace sluice::fs::testing {

struct S3ServerOptions {
  // memstore capacity: above the tests' peak data plus what garbage collection has not freed
  // yet (a full memstore hangs writes instead of failing them). Memory is used only as data comes.
  int64_t memory_bytes = int64_t{4} << 30;
  // Empty: loopback only. Else the gateway also listens on this address (a test cluster's bridge,
  // which nodes in other network namespaces reach), on the same port, and endpoint() names it.
  std::string listen_address;
};

class S3Server {
 public:
  static constexpr std::string_view kAccessKey = "SLUICETESTACCESSKEY0";
  static constexpr std::string_view kSecretKey = "sluice+test/secret/key/0123456789abcdefghij";
  static constexpr std::string_view kRegion = "us-east-1";

  // Starts the cluster and waits until a signed request succeeds. NotFound (saying to run
  // scripts/deps.sh) when the Ceph binaries are missing (looked for in $SLUICE_CEPH_BINDIR when
  // set, else /usr/bin, /usr/sbin, /usr/local/bin); Io with the logs' tails when it does not
  // start within 90 s.
  explicit S3Server(S3ServerOptions options = {});
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  // "http://ADDRESS:PORT"; ADDRESS is the listen_address or 127.0.0.1.
  const std::string& endpoint() const { return endpoint_; }
  // Endpoint, region and the test user's keys, path-style.
  AwsConfig Config() const;
  // A client for the test user (shared connections; any thread).
  const std::shared_ptr<S3Client>& client() const { return client_; }
  // Creates a bucket; returns "s3://NAME/".
  std::string CreateBucket(std::string_view name);
  // What a child process (the sluice binary) needs in its environment to reach the server:
  // AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; AWS_PROFILE and
  // AWS_SESSION_TOKEN must be unset.
  std::vector<std::pair<std::string, std::string>> Environment() const;

  const std::filesystem::path& directory() const { return directory_; }
  // The last lines of the daemons' logs, for failure messages.
  std::string LogTail(size_t bytes = 3000) const;

 private:
  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_name);
  // Runs a command to completion; Io error with its output when it fails.
  void Run(const std::vector<std::string>& argv, const std::string& log_name, int timeout_s = 60);
  void Start();
  void StopAll();

  std::unique_ptr<sluice::testing::SpawnThread> spawner_;
  S3ServerOptions options_;
  std::filesystem::path directory_;
  std::string endpoint_;
  std::shared_ptr<S3Client> client_;
  std::vector<pid_t> pids_;  // daemons, started in this order: monitor, OSD, gateway
};

// The test binary's one server, started on first use and stopped at exit. nullptr, with the reason
// in *why_not, when it cannot start here (Ceph not installed: tests skip, or fail under CI=...,
// with SLUICE_REQUIRE_TEST_DATA).
S3Server* SharedS3Server(std::string* why_not);

}  // namespace sluice::fs::testing
