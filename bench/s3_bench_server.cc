// The S3 side of the S3 benchmarks (bench/compact_s3_vs_polars.mjs): the test suite's RADOS
// Gateway (fs::testing::S3Server) around a benchmark script, and the object copies the script
// needs that neither tool under test should do for it.
//
//   sluice_s3_bench_server serve [--bucket B] [--memory BYTES] -- COMMAND...
//     starts the gateway, creates bucket B and runs COMMAND with AWS_ENDPOINT_URL,
//     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and SLUICE_BENCH_BUCKET (s3://B/) in
//     its environment, so the script, sluice and its peers all reach the server with the same
//     endpoint and keys without the keys ever being printed or passed on a command line; the
//     gateway stops when COMMAND exits, whose status is returned (77 when the gateway did not
//     start, with the reason on standard error).
//   sluice_s3_bench_server upload DIR s3://B/PREFIX     every file under DIR, same relative keys
//   sluice_s3_bench_server download s3://B/PREFIX DIR   every object under the prefix
// The last two read the server from the environment that `serve` set.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/fs/testing/s3_server.h"

namespace {

namespace fs = sluice::fs;
namespace stdfs = std::filesystem;

// serve's exit status when the gateway cannot start here (Ceph not installed): a benchmark
// script skips instead of failing the whole `make bench`.
constexpr int kNoServer = 77;

int Serve(const std::string& bucket, const std::string& memory,
          const std::vector<std::string>& command) {
  fs::testing::S3ServerOptions options;
  options.memory_bytes = sluice::ParseBytes(memory);
  std::unique_ptr<fs::testing::S3Server> started;
  try {
    started = std::make_unique<fs::testing::S3Server>(options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sluice_s3_bench_server: the gateway did not start: {}\n", e.what());
    return kNoServer;
  }
  fs::testing::S3Server& server = *started;
  const std::string url = server.CreateBucket(bucket);
  for (const auto& [name, value] : server.Environment()) setenv(name.c_str(), value.c_str(), 1);
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SESSION_TOKEN");
  setenv("SLUICE_BENCH_BUCKET", url.c_str(), 1);
  fmt::print(stderr, "s3 bench server: RADOS Gateway at {}, bucket {}\n", server.endpoint(), url);
  // Ctrl-C reaches the command (same process group); this process waits for it and then stops
  // the gateway in the destructor instead of leaving the daemons to PR_SET_PDEATHSIG.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    std::vector<char*> argv;
    for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    fmt::print(stderr, "cannot run {}\n", command[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Object URLs under a prefix, with their keys relative to it.
std::vector<std::pair<std::string, std::string>> ObjectsUnder(const std::string& prefix) {
  fs::S3Url url = fs::ParseS3Url(prefix);
  if (!url.key.empty() && !url.key.ends_with('/')) url.key += '/';
  std::vector<std::pair<std::string, std::string>> objects;
  for (const fs::S3ObjectInfo& object : fs::ProcessS3Client()->ListAll(url.bucket, url.key, "")) {
    objects.emplace_back(fs::S3Url{url.bucket, object.key}.ToString(),
                         object.key.substr(url.key.size()));
  }
  return objects;
}

std::string Slash(std::string prefix) { return prefix.ends_with('/') ? prefix : prefix + '/'; }

int Upload(const std::string& dir, const std::string& prefix) {
  auto s3 = fs::FileSystemFor(prefix);
  for (const auto& entry : stdfs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = stdfs::relative(entry.path(), dir).string();
    fs::WriteWholeFile(*s3, Slash(prefix) + relative,
                       fs::ReadWholeFile(*fs::LocalFileSystem(), entry.path().string()));
  }
  return 0;
}

int Download(const std::string& prefix, const std::string& dir) {
  auto s3 = fs::FileSystemFor(prefix);
  for (const auto& [url, relative] : ObjectsUnder(prefix)) {
    const stdfs::path target = stdfs::path(dir) / relative;
    stdfs::create_directories(target.parent_path());
    fs::WriteWholeFile(*fs::LocalFileSystem(), target.string(), fs::ReadWholeFile(*s3, url));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("The test RADOS Gateway around an S3 benchmark, and object copies for it");
  app.require_subcommand(1);
  std::string bucket = "bench", memory = "4GiB", dir, prefix;
  std::vector<std::string> command;
  CLI::App* serve = app.add_subcommand("serve", "Start the gateway, run COMMAND against it");
  serve->add_option("--bucket", bucket)->capture_default_str();
  serve->add_option("--memory", memory, "memstore capacity")->capture_default_str();
  serve->add_option("COMMAND", command)->required();
  CLI::App* upload = app.add_subcommand("upload", "Upload every file under DIR");
  upload->add_option("DIR", dir)->required();
  upload->add_option("PREFIX", prefix)->required();
  CLI::App* download = app.add_subcommand("download", "Download every object under PREFIX");
  download->add_option("PREFIX", prefix)->required();
  download->add_option("DIR", dir)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve) return Serve(bucket, memory, command);
    if (*upload) return Upload(dir, prefix);
    return Download(prefix, dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sluice_s3_bench_server: {}\n", e.what());
    return 1;
  }
}
