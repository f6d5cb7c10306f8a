// `sluice compact` under faults a user meets on one machine, with the real binary:
// - the same command started several times at once: every process exits 0, sharing the job's
//   partitions through the SQLite ledger, and every partition is compacted exactly once;
// - a destination file system that fills up (a small tmpfs this test mounts; root only): the run
//   fails with a clear error and leaves no attempt files, and after space is freed a resume
//   completes with the right rows and nothing left over;
// - an output directory moved with its state to another place and run again there: outputs
//   already published count as published; a target holding other files is a clear error naming
//   both directories.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/builder.h"
#include "sluice/table/record_batch.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `sluice compact SRC DST ARGS...` started in the background, its output in `log`.
pid_t StartCompact(const std::string& src, const std::string& dst,
                   const std::vector<std::string>& extra, const fs::path& log) {
  std::vector<std::string> args = {SLUICE_BINARY, "compact", src, dst, "--progress", "off"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int RunCompact(const std::string& src, const std::string& dst, const fs::path& log,
               const std::vector<std::string>& extra = {}) {
  return WaitExit(StartCompact(src, dst, extra, log));
}

// Regular files under `dir` (none when it does not exist).
std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path());
  }
  return out;
}

class CompactFaultsTest : public ::testing::Test {
 protected:
  // `partitions` Hive partitions p=0.. of `files` files of `rows` rows each: two int64 columns of
  // random values, so that compression cannot shrink them (the disk-full case needs real bytes).
  void Generate(const fs::path& src, int partitions, int files, int rows) {
    auto schema = std::make_shared<const Schema>(
        std::vector<Field>{{"id", DataType::Int64()}, {"value", DataType::Int64()}});
    std::mt19937_64 rng(7);
    for (int p = 0; p < partitions; ++p) {
      fs::create_directories(src / ("p=" + std::to_string(p)));
      for (int f = 0; f < files; ++f) {
        fs::path path = src / ("p=" + std::to_string(p)) / ("f" + std::to_string(f) + ".parquet");
        auto writer = parquet::ParquetWriter::Open(path.string(), schema);
        FixedWidthBuilder<int64_t> id, value;
        for (int r = 0; r < rows; ++r) {
          id.Append((int64_t{p} * files + f) * rows + r);
          value.Append(static_cast<int64_t>(rng()));
        }
        writer->Write(RecordBatch::Make(schema, {id.Finish(), value.Finish()}));
        writer->Close();
      }
      expected_rows_["p=" + std::to_string(p)] = int64_t{files} * rows;
    }
  }

  // Every partition done exactly once in the ledger; DST holds one whole output directory per
  // partition with exactly its rows, and no attempt files.
  void ExpectCompacted(const std::string& src, const fs::path& dst, bool claimed_once) {
    auto ledger = ledger::OpenLedger((dst / ".sluice" / "ledger.db").string());
    auto job = ledger->FindJob("compact " + src + " -> " + dst.string());
    ASSERT_TRUE(job.has_value()) << dst;
    ledger::JobProgress progress = ledger->Progress(job->id);
    EXPECT_EQ(progress.done, std::ssize(expected_rows_));
    EXPECT_EQ(progress.total(), std::ssize(expected_rows_));
    if (claimed_once) {
      EXPECT_EQ(progress.claims, std::ssize(expected_rows_));
    }
    jobs::OutputLayout layout(dst);
    std::map<std::string, int64_t> rows;
    for (const fs::path& file : FilesUnder(dst)) {
      std::string top = fs::relative(file, dst).begin()->string();
      if (top == ".sluice") continue;
      ASSERT_NE(top, ".sluice-attempts") << "attempt file left behind: " << file;
      rows[top] += parquet::ReadFooter(file.string()).metadata.num_rows;  // throws if not whole
    }
    std::map<std::string, int64_t> expected;
    for (const auto& [key, n] : expected_rows_) expected[layout.FinalDir(key).filename()] = n;
    EXPECT_EQ(rows, expected);
  }

  ScratchDir scratch_{"sluice-compact-faults"};
  fs::path dir_ = scratch_.path();
  std::map<std::string, int64_t> expected_rows_;
};

// The first fault: the same compaction started in several terminals at once. One in
// three runs of two processes died within 3 s ("database is locked" on PRAGMA journal_mode=WAL).
TEST_F(CompactFaultsTest, SameCompactionStartedSeveralTimesAtOnceSharesTheJob) {
  constexpr int kTries = 20;
  constexpr int kProcesses = 5;
  std::string src = (dir_ / "src").string();
  Generate(src, 8, 3, 2000);
  auto started = std::chrono::steady_clock::now();
  for (int t = 0; t < kTries; ++t) {
    fs::path dst = dir_ / ("dst" + std::to_string(t));
    std::vector<pid_t> pids;
    for (int p = 0; p < kProcesses; ++p) {
      pids.push_back(StartCompact(src, dst.string(), {"--log-level", "warn"},
                                  dir_ / ("log" + std::to_string(p))));
    }
    for (int p = 0; p < kProcesses; ++p) {
      ASSERT_EQ(WaitExit(pids[p]), 0) << "try " << t << " process " << p << ":\n"
                                      << ReadFile(dir_ / ("log" + std::to_string(p)));
    }
    ExpectCompacted(src, dst, /*claimed_once=*/true);
    if (HasFailure()) return;
    fs::remove_all(dst);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%d tries of %d processes in %.1f s\n", kTries, kProcesses, seconds);
}

// A tmpfs of `bytes` at `where`, unmounted by the destructor; `error` says why there is none.
class SmallFileSystem {
 public:
  SmallFileSystem(const fs::path& where, int64_t bytes) : where_(where) {
    fs::create_directories(where);
    std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::string("mount tmpfs: ") + std::strerror(errno);
    }
  }
  ~SmallFileSystem() {
    if (error_.empty()) ::umount2(where_.c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }
  // Makes it `bytes` large, keeping its files.
  bool Resize(int64_t bytes) {
    std::string options = "size=" + std::to_string(bytes);
    return ::mount("tmpfs", where_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

 private:
  fs::path where_;
  std::string error_;
};

// Mounting a file system needs root: skipped with the reason elsewhere, failed under CI.
#define SLUICE_REQUIRE_MOUNT(file_system)                                                     \
  do {                                                                                        \
    if (!(file_system).error().empty()) {                                                     \
      std::string why =                                                                       \
          (file_system).error() + (geteuid() == 0 ? "" : " (the disk-full case needs root)"); \
      if (std::getenv("CI") != nullptr) FAIL() << why;                                        \
      GTEST_SKIP() << why;                                                                    \
    }                                                                                         \
  } while (0)

TEST_F(CompactFaultsTest, DiskFullFailsCleanlyAndResumesOnceSpaceIsFreed) {
  std::string src = (dir_ / "src").string();
  Generate(src, 4, 4, 60000);  // about 1.9 MB a partition, 7.7 MB in all
  SmallFileSystem small(dir_ / "small", 3 << 20);
  SLUICE_REQUIRE_MOUNT(small);
  fs::path dst = dir_ / "small" / "dst";
  EXPECT_EQ(RunCompact(src, dst.string(), dir_ / "full.log"), 1);
  std::string log = ReadFile(dir_ / "full.log");
  EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;
  std::printf("the full disk's run said:\n%s", log.c_str());
  // No attempt's files stay behind, whether or not the ledger could record the failure.
  EXPECT_EQ(FilesUnder(dst / ".sluice-attempts"), std::vector<fs::path>{}) << log;
  // Whatever was published is whole (ReadFooter throws otherwise).
  for (const fs::path& file : FilesUnder(dst)) {
    if (fs::relative(file, dst).begin()->string() == ".sluice") continue;
    EXPECT_GT(parquet::ReadFooter(file.string()).metadata.num_rows, 0) << file;
  }
  ASSERT_TRUE(small.Resize(64 << 20));
  EXPECT_EQ(RunCompact(src, dst.string(), dir_ / "resume.log"), 0) << ReadFile(dir_ / "resume.log");
  ExpectCompacted(src, dst, /*claimed_once=*/false);
}

// The second disk-full misbehaviour: output and state moved to a bigger disk and run again
// there ("publish the committed output failed: File exists"). The job there is another job by name
// (its destination differs), so it compacts each partition again and finds its output published.
TEST_F(CompactFaultsTest, OutputMovedWithItsStateCompletesWhereItWasMoved) {
  std::string src = (dir_ / "src").string();
  Generate(src, 3, 2, 1000);
  fs::path first = dir_ / "first";
  ASSERT_EQ(RunCompact(src, first.string(), dir_ / "first.log"), 0) << ReadFile(dir_ / "first.log");
  fs::path moved = dir_ / "moved";
  fs::copy(first, moved, fs::copy_options::recursive);
  EXPECT_EQ(RunCompact(src, moved.string(), dir_ / "moved.log"), 0) << ReadFile(dir_ / "moved.log");
  ExpectCompacted(src, moved, /*claimed_once=*/true);

  // A published directory that holds other files is not replaced: the error names both.
  fs::path other = dir_ / "other";
  fs::copy(first, other, fs::copy_options::recursive);
  fs::path victim = FilesUnder(other / "p=1").at(0);
  std::ofstream(victim, std::ios::app) << "x";
  EXPECT_EQ(RunCompact(src, other.string(), dir_ / "other.log"), 1);
  std::string log = ReadFile(dir_ / "other.log");
  EXPECT_NE(log.find("already holds other files"), std::string::npos) << log;
  EXPECT_NE(log.find((other / "p=1").string()), std::string::npos) << log;
  EXPECT_NE(log.find((other / ".sluice-attempts").string()), std::string::npos) << log;
}

}  // namespace
}  // namespace sluice
