// A damaged state directory met by the real binary (issue item 4):
// - a ledger.db whose header is overwritten with garbage, or truncated to half its size: compact,
//   run and status each exit 1 (no crash) with an error that names the file, says it is damaged
//   and says to move it away to start over; the outputs already published stay, and once the
//   ledger is moved away a compact run counts them as published and exits 0;
// - a removed attempt directory: a partition the ledger says is done whose output was never
//   published (its publish met a conflicting directory, then the user cleared that and removed
//   .sluice-attempts): compact and run say which file is missing and run that partition again;
// - a removed output file of a done compaction: status says which is missing and that the
//   command must run again; the command runs that partition alone again, to the same result;
// - a read-only output directory (a read-only bind mount; root only, skipped elsewhere, failed
//   under CI): compact exits 1 naming the directory, and writes nothing into it.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "command_output_test_support.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"
#include "sluice/table/record_batch.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// Hive partitions p=0..2 of two small Parquet files each under `src`.
void WriteInputs(const fs::path& src) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"id", DataType::Int64()}, {"value", DataType::Int64()}});
  std::mt19937_64 rng(3);
  for (int p = 0; p < 3; ++p) {
    const fs::path dir = src / ("p=" + std::to_string(p));
    fs::create_directories(dir);
    for (int f = 0; f < 2; ++f) {
      auto writer = parquet::ParquetWriter::Open(
          (dir / ("f" + std::to_string(f) + ".parquet")).string(), schema);
      FixedWidthBuilder<int64_t> id, value;
      for (int r = 0; r < 1000; ++r) {
        id.Append((p * 2 + f) * 1000 + r);
        value.Append(static_cast<int64_t>(rng() % 1000));
      }
      writer->Write(RecordBatch::Make(schema, {id.Finish(), value.Finish()}));
      writer->Close();
    }
  }
}

// Visible Parquet files under `out` (the published outputs), by path relative to it.
std::vector<std::string> Published(const fs::path& out) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string relative = fs::relative(it->path(), out).string();
    if (it->is_regular_file() && relative[0] != '.') files.push_back(relative);
  }
  std::sort(files.begin(), files.end());
  return files;
}

enum class Damage { kGarbageHeader, kTruncatedToHalf };

void PrintTo(Damage d, std::ostream* os) {
  *os << (d == Damage::kGarbageHeader ? "GarbageHeader" : "TruncatedToHalf");
}

void DamageLedger(const fs::path& ledger, Damage damage) {
  if (damage == Damage::kTruncatedToHalf) {
    fs::resize_file(ledger, fs::file_size(ledger) / 2);
    return;
  }
  std::fstream file(ledger, std::ios::in | std::ios::out | std::ios::binary);
  const std::string garbage(100, '\x5a');  // the whole 100-byte SQLite header
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

class DamagedLedgerTest : public ::testing::TestWithParam<Damage> {
 protected:
  ScratchDir scratch_{"sluice-damaged-ledger"};
  fs::path dir_ = scratch_.path();
};

// The error a command gives on the damaged ledger: exit 1, the file named, what to do.
void ExpectDamagedLedgerError(const testing::CommandRun& r, const fs::path& ledger,
                              const std::string& what) {
  EXPECT_EQ(r.status, 1) << what << ":\n" << r.out;
  EXPECT_NE(r.out.find(ledger.string()), std::string::npos) << what << ":\n" << r.out;
  EXPECT_NE(r.out.find("is damaged"), std::string::npos) << what << ":\n" << r.out;
  EXPECT_NE(r.out.find("move it away"), std::string::npos) << what << ":\n" << r.out;
}

// `sluice ARGS` as given (RunSluice would add --progress, which status lacks and which would go
// after a task's `--`).
testing::CommandRun RunPlain(const std::string& args) {
  int status = 0;
  testing::CommandRun r;
  r.out = testing::CommandOutput(std::string(SLUICE_BINARY) + " " + args + " 2>&1", &status);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_P(DamagedLedgerTest, CommandsSayTheLedgerIsDamagedAndWhatToDo) {
  const fs::path src = dir_ / "in", out = dir_ / "out";
  const fs::path ledger = out / ".sluice" / "ledger.db";
  WriteInputs(src);
  const std::string compact = "compact " + src.string() + " " + out.string();
  ASSERT_EQ(testing::RunSluice(SLUICE_BINARY, compact).status, 0);
  const std::vector<std::string> published = Published(out);
  ASSERT_EQ(published.size(), 3u);
  for (const char* side : {"-wal", "-shm"}) fs::remove(ledger.string() + side);
  DamageLedger(ledger, GetParam());

  ExpectDamagedLedgerError(testing::RunSluice(SLUICE_BINARY, compact), ledger, "compact");
  const std::string state = ledger.parent_path().string();
  ExpectDamagedLedgerError(RunPlain("status --state " + state), ledger, "status");
  ExpectDamagedLedgerError(
      RunPlain("run --job j --partition-by list:a,b --state " + state + " -- true"), ledger, "run");
  EXPECT_EQ(Published(out), published) << "the published outputs stay";

  // The advice works: with the ledger moved away the outputs count as published.
  fs::rename(ledger, dir_ / "ledger.db.damaged");
  const testing::CommandRun again = testing::RunSluice(SLUICE_BINARY, compact);
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(Published(out), published);
}

INSTANTIATE_TEST_SUITE_P(Damages, DamagedLedgerTest,
                         ::testing::Values(Damage::kGarbageHeader, Damage::kTruncatedToHalf),
                         [](const auto& info) {
                           return info.param == Damage::kGarbageHeader ? "GarbageHeader"
                                                                       : "TruncatedToHalf";
                         });

// What a resume prints for a done partition whose output is gone: the file, and that it runs
// again.
void ExpectRunAgain(const testing::CommandRun& r, const std::string& partition,
                    const fs::path& missing) {
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("partition " + partition + ": " + missing.string() +
                       " is missing (removed after the partition was done); the partition runs "
                       "again"),
            std::string::npos)
      << r.out;
}

// A directory in the way of a partition's publish: the ledger commits the attempt, the publish
// fails (Conflict) and leaves the attempt's directory for the next run.
void BlockPublish(const fs::path& target) {
  fs::create_directories(target);
  std::ofstream(target / "other.txt") << "not this job's\n";
}

TEST(DamagedStateTest, RunWithARemovedAttemptDirectoryRunsThePartitionAgain) {
  ScratchDir scratch("sluice-removed-attempt");
  const fs::path out = scratch.path() / "out", state = scratch.path() / "state";
  BlockPublish(out / "a");
  const std::string run = "run --job j --partition-by list:a,b --retry-delay 0.05 --state " +
                          state.string() + " --output " + out.string() +
                          " -- sh -c 'echo {key} > "
                          "{output}/part.txt'";
  const testing::CommandRun blocked = RunPlain(run);
  ASSERT_EQ(blocked.status, 1) << blocked.out;
  ASSERT_TRUE(fs::exists(out / ".sluice-attempts")) << blocked.out;
  // The user clears the way, and the committed attempt's directory goes too.
  fs::remove_all(out / "a");
  fs::remove_all(out / ".sluice-attempts");

  ExpectRunAgain(RunPlain(run), "a", out / "a" / "part.txt");
  std::ifstream part(out / "a" / "part.txt");
  std::string line;
  std::getline(part, line);
  EXPECT_EQ(line, "a");
}

TEST(DamagedStateTest, CompactWithARemovedAttemptDirectoryRunsThePartitionAgain) {
  ScratchDir scratch("sluice-removed-attempt");
  const fs::path src = scratch.path() / "in", out = scratch.path() / "out";
  WriteInputs(src);
  BlockPublish(out / "p=1");
  const std::string compact = "compact " + src.string() + " " + out.string();
  const testing::CommandRun blocked = testing::RunSluice(SLUICE_BINARY, compact);
  ASSERT_EQ(blocked.status, 1) << blocked.out;
  ASSERT_TRUE(fs::exists(out / ".sluice-attempts")) << blocked.out;
  fs::remove_all(out / "p=1");
  fs::remove_all(out / ".sluice-attempts");

  const testing::CommandRun again = testing::RunSluice(SLUICE_BINARY, compact);
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find("partition p=1: " + (out / "p=1").string()), std::string::npos)
      << again.out;
  EXPECT_EQ(Published(out).size(), 3u) << again.out;
}

// The published files' rows (`sluice cat`), by path relative to `out`.
std::map<std::string, std::string> Contents(const fs::path& out) {
  std::map<std::string, std::string> rows;
  for (const std::string& file : Published(out)) {
    rows[file] = RunPlain("cat " + (out / file).string()).out;
  }
  return rows;
}

// A user removes one output file of a done compaction: status says so, and the same command
// runs that partition alone again, to the same result.
TEST(DamagedStateTest, ARemovedOutputFileIsReportedAndItsPartitionAloneRunsAgain) {
  ScratchDir scratch("sluice-removed-output");
  const fs::path src = scratch.path() / "in", out = scratch.path() / "out";
  WriteInputs(src);
  const std::string compact = "compact " + src.string() + " " + out.string();
  ASSERT_EQ(testing::RunSluice(SLUICE_BINARY, compact).status, 0);
  const std::map<std::string, std::string> original = Contents(out);
  ASSERT_EQ(original.size(), 3u);
  const std::string removed = original.begin()->first;  // p=0's file
  ASSERT_TRUE(removed.starts_with("p=0/")) << removed;
  fs::remove(out / removed);
  std::map<std::string, fs::file_time_type> written;
  for (const auto& [file, rows] : original) {
    if (file != removed) written[file] = fs::last_write_time(out / file);
  }

  const std::string state = (out / ".sluice").string();
  const testing::CommandRun status = RunPlain("status --state " + state);
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("output of 1 done partition missing (first " +
                            (out / removed).string() + ")"),
            std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("run the job's command again"), std::string::npos) << status.out;
  const testing::CommandRun json = RunPlain("status --state " + state + " --json");
  EXPECT_NE(json.out.find("\"outputs_missing\": 1"), std::string::npos) << json.out;

  ExpectRunAgain(testing::RunSluice(SLUICE_BINARY, compact), "p=0", out / removed);
  EXPECT_EQ(Contents(out), original);
  for (const auto& [file, time] : written) {
    EXPECT_EQ(fs::last_write_time(out / file), time) << file << " was written again";
  }
  const testing::CommandRun after = RunPlain("status --state " + state);
  EXPECT_EQ(after.out.find("missing"), std::string::npos) << after.out;
}

// A read-only bind mount of `dir` onto itself, undone by the destructor; `error` says why not.
class ReadOnlyMount {
 public:
  explicit ReadOnlyMount(const fs::path& dir) : dir_(dir) {
    if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      error_ = std::string("bind mount: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
    if (::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      error_ = std::string("read-only remount: ") + std::strerror(errno);
    }
  }
  ~ReadOnlyMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST(DamagedStateTest, ReadOnlyOutputDirectoryIsNamed) {
  ScratchDir scratch("sluice-readonly-output");
  const fs::path src = scratch.path() / "in", out = scratch.path() / "out";
  WriteInputs(src);
  fs::create_directories(out);
  ReadOnlyMount mount(out);
  if (!mount.error().empty()) {
    if (std::getenv("CI") != nullptr) FAIL() << mount.error();
    GTEST_SKIP() << mount.error();
  }
  const testing::CommandRun r =
      testing::RunSluice(SLUICE_BINARY, "compact " + src.string() + " " + out.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(out.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("remount it read-write"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(out));
}

}  // namespace
}  // namespace sluice
