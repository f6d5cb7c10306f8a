// The fault matrix: every command that writes (compact, groupby, sort, join, batch, bloom, run)
// with a failing disk under each kind of file it touches (outputs, spill files, the ledger, the
// batch chunk cache, the --report file, inputs), through tests/fault_injection_shim.cc loaded
// with LD_PRELOAD into the real binary. One case per row of kCases; each, in its own directory:
//   1. a clean run of the command gives the reference result (in ref/);
//   2. the same command with the fault (the Nth matching call and every later one fails) must
//      exit 1 with `sluice: ` lines (and a compaction's `FAILED` lines) that say what failed,
//      name the file and say what to do; no output file may be visible that differs from the
//      reference's (outputs appear whole), and the spill directory must be empty;
//   3. the command run again without the fault (after the `sluice retry` the error gives, if
//      any) must exit 0 with the reference's result and leave no attempt or staging files.
// Results are compared as sorted lines (`sluice cat` for Parquet), as row order may vary between
// runs; JSON files (manifests, reports) and hidden state are left out.
//
// A second table (kChanges) has the shim change an input as another process would (truncate,
// grow, remove) at its Nth read or map: the command must fail naming the file and publish nothing.
//
// Each case is its own CTest test (process) with its own ScratchDir, so cases run in parallel.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "command_output_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/builder.h"
#include "sluice/table/record_batch.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

enum class Command { kCompact, kGroupBy, kSort, kJoin, kBatch, kBloom, kRun };

struct FaultCase {
  const char* name;
  Command command;
  const char* op;       // the shim's SLUICE_FAULT_OP
  const char* path;     // SLUICE_FAULT_PATH, relative to the case's directory
  const char* error;    // SLUICE_FAULT_ERRNO
  int nth;              // SLUICE_FAULT_NTH
  const char* says;     // what the error must say failed
  const char* names;    // the file the error must name, relative to the case's directory
  const char* output;   // the output file of a one-file command (groupby, sort, join, bloom)
  bool report = false;  // with --report report.json beside out/
  bool prime = false;   // a clean run into out/ before the faulty one (to read the batch cache)
  // A fault every partition would meet (a full disk): the worker stops with it at once and fails
  // no partition, so the error asks for no `sluice retry`.
  bool stops = false;
  // A fault of one partition's own input that no retry cures (jobs/task_fault.h): that partition
  // fails for good after this many attempts (a device error is retried once), the others
  // complete, and the error asks for `sluice retry`. 0 for the other faults.
  int64_t fails_for_good_after = 0;
};

// A case by its name in GoogleTest's messages.
void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name; }

// clang-format off
const FaultCase kCases[] = {
  // compact: the attempt's output files, their fsync, the publishing rename, an input, the
  // ledger, the report. (SQLite meets a full disk as SQLITE_FULL or as an I/O error carrying
  // ENOSPC, by the file it was writing: both say to free space.)
  {"CompactOutputWriteNoSpace", Command::kCompact, "write", "out/.sluice-attempts/", "ENOSPC", 1,
   "No space left on device", "out/.sluice-attempts/", "", false, false, true},
  {"CompactOutputFsyncIoError", Command::kCompact, "fsync", "out/.sluice-attempts/", "EIO", 1,
   "fsync failed: Input/output error", "out/.sluice-attempts/", ""},
  {"CompactPublishRenameDenied", Command::kCompact, "rename", "out/p=", "EACCES", 1,
   "publish the committed output failed: Permission denied", "out/p=", ""},
  {"CompactInputReadIoError", Command::kCompact, "read", "in/parquet/p=1/", "EIO", 1,
   "read failed: Input/output error", "in/parquet/p=1/", "", false, false, false, 2},
  {"CompactInputOpenDenied", Command::kCompact, "open", "in/parquet/p=1/f0.parquet", "EACCES", 1,
   "open failed: Permission denied", "in/parquet/p=1/f0.parquet", "", false, false, false, 1},
  {"CompactLedgerWriteNoSpace", Command::kCompact, "write", "out/.sluice/ledger.db", "ENOSPC", 3,
   "free space on", "out/.sluice/ledger.db", ""},
  {"CompactLedgerOpenDenied", Command::kCompact, "open", "out/.sluice/ledger.db", "EACCES", 1,
   "Permission denied", "out/.sluice/ledger.db", ""},
  {"CompactReportWriteIoError", Command::kCompact, "write", ".report.json.tmp", "EIO", 1,
   "write failed: Input/output error", "report.json", "", true},
  // groupby: spill files written and read back, the output (Parquet and CSV).
  {"GroupBySpillWriteNoSpace", Command::kGroupBy, "write", "spill/", "ENOSPC", 2,
   "No space left on device", "spill/", "result.parquet"},
  {"GroupBySpillReadIoError", Command::kGroupBy, "read", "spill/", "EIO", 1,
   "read failed: Input/output error", "spill/", "result.parquet"},
  {"GroupByOutputOpenDenied", Command::kGroupBy, "open", "out/", "EACCES", 1,
   "create failed: Permission denied", "out/result.parquet", "result.parquet"},
  {"GroupByCsvOutputWriteNoSpace", Command::kGroupBy, "write", "out/", "ENOSPC", 1,
   "write failed: No space left on device", "out/result.csv", "result.csv"},
  // sort: spill runs, the output's rename, the report.
  {"SortSpillWriteIoError", Command::kSort, "write", "spill/", "EIO", 1,
   "write failed: Input/output error", "spill/", "result.parquet"},
  {"SortOutputRenameDenied", Command::kSort, "rename", "out/", "EACCES", 1,
   "rename failed: Permission denied", "out/result.parquet", "result.parquet"},
  {"SortReportWriteNoSpace", Command::kSort, "write", ".report.json.tmp", "ENOSPC", 1,
   "No space left on device", "report.json", "result.parquet", true},
  // join: spill files written and read back, the output's fsync.
  {"JoinSpillWriteNoSpace", Command::kJoin, "write", "spill/", "ENOSPC", 1,
   "No space left on device", "spill/", "result.parquet"},
  {"JoinOutputFsyncIoError", Command::kJoin, "fsync", "out/", "EIO", 1,
   "fsync failed: Input/output error", "out/result.parquet", "result.parquet"},
  {"JoinSpillReadIoError", Command::kJoin, "read", "spill/", "EIO", 1,
   "read failed: Input/output error", "spill/", "result.parquet"},
  // batch: the chunk cache (written, renamed into place, read back by a re-run), the split
  // files, the ledger.
  {"BatchCacheWriteNoSpace", Command::kBatch, "write", "out/.sluice/cache/", "ENOSPC", 1,
   "No space left on device", "out/.sluice/cache/", ""},
  {"BatchCacheRenameDenied", Command::kBatch, "rename", "out/.sluice/cache/", "EACCES", 1,
   "rename failed: Permission denied", "out/.sluice/cache/", ""},
  {"BatchCacheReadIoError", Command::kBatch, "read", "out/.sluice/cache/", "EIO", 1,
   "read failed: Input/output error", "out/.sluice/cache/", "", false, true},
  {"BatchSplitWriteIoError", Command::kBatch, "write", "out/.sluice/split/", "EIO", 1,
   "write failed: Input/output error", "out/.sluice/split/", ""},
  {"BatchLedgerFsyncIoError", Command::kBatch, "fsync", "out/.sluice/ledger.db", "EIO", 1,
   "disk I/O error", "out/.sluice/ledger.db", ""},
  // bloom: the filter file, its creation, a mapped input, the report.
  {"BloomOutputWriteNoSpace", Command::kBloom, "write", "out/", "ENOSPC", 1,
   "write failed: No space left on device", "out/result.bloom", "result.bloom"},
  {"BloomOutputOpenDenied", Command::kBloom, "open", "out/", "EACCES", 1,
   "create failed: Permission denied", "out/result.bloom", "result.bloom"},
  {"BloomInputMapIoError", Command::kBloom, "mmap", "in/csv/b.csv", "EIO", 1,
   "map failed: Input/output error", "in/csv/b.csv", "result.bloom"},
  {"BloomReportWriteIoError", Command::kBloom, "write", ".report.json.tmp", "EIO", 1,
   "write failed: Input/output error", "report.json", "result.bloom", true},
  // run: the ledger, the publishing rename of a partition's output, the report.
  {"RunLedgerWriteNoSpace", Command::kRun, "write", "out-state/ledger.db", "ENOSPC", 5,
   "free space on", "out-state/ledger.db", ""},
  {"RunPublishRenameDenied", Command::kRun, "rename", "out/", "EACCES", 1,
   "publish the committed output failed: Permission denied", "out/", ""},
  {"RunReportWriteIoError", Command::kRun, "write", ".report.json.tmp", "EIO", 1,
   "write failed: Input/output error", "report.json", "", true},
};
// clang-format on

constexpr int kCsvRows = 60000;  // per file, two files: enough to spill at --memory 16MiB

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Two CSV files (k,v,s) under in/csv and a small right side for join.
void WriteCsvInputs(const fs::path& in) {
  fs::create_directories(in / "csv");
  std::mt19937 rng(11);
  for (const char* name : {"a.csv", "b.csv"}) {
    std::ofstream out(in / "csv" / name);
    out << "k,v,s\n";
    for (int i = 0; i < kCsvRows; ++i) out << rng() % 1000000 << ',' << i % 97 << ",x" << i << '\n';
  }
  std::ofstream right(in / "right.csv");
  right << "k,w\n";
  for (int i = 0; i < 5000; ++i) right << i * 3 << ',' << i << '\n';
}

// Hive partitions p=0..2 of two Parquet files each under in/parquet.
void WriteParquetInputs(const fs::path& in) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"id", DataType::Int64()}, {"value", DataType::Int64()}});
  std::mt19937_64 rng(7);
  for (int p = 0; p < 3; ++p) {
    fs::path dir = in / "parquet" / ("p=" + std::to_string(p));
    fs::create_directories(dir);
    for (int f = 0; f < 2; ++f) {
      auto writer = parquet::ParquetWriter::Open(
          (dir / ("f" + std::to_string(f) + ".parquet")).string(), schema);
      FixedWidthBuilder<int64_t> id, value;
      for (int r = 0; r < 3000; ++r) {
        id.Append((p * 2 + f) * 3000 + r);
        value.Append(static_cast<int64_t>(rng() % 1000000));
      }
      writer->Write(RecordBatch::Make(schema, {id.Finish(), value.Finish()}));
      writer->Close();
    }
  }
}

// The command line of `c` in `dir` writing to `out` (a directory), without the shim.
std::string CommandLine(const FaultCase& c, const fs::path& dir, const fs::path& out) {
  const std::string in = (dir / "in").string();
  const std::string spill = (dir / "spill").string();
  const std::string binary = SLUICE_BINARY;
  const std::string file = (out / c.output).string();
  const std::string shuffle = " --memory 16MiB --spill-dir " + spill + " --threads 2";
  // Flags go before a task's `--`.
  const std::string report = c.report ? " --report " + (dir / "report.json").string() : "";
  std::string line = binary + " ";
  switch (c.command) {
    case Command::kCompact:
      line += "compact " + in + "/parquet " + out.string() + " --retry-delay 0.05 --progress off";
      break;
    case Command::kGroupBy:
      line += "groupby " + in + "/csv --by k --agg " + Quote("sum(v) as t, count(*) as n") +
              " -o " + file + shuffle + " --partitions 8 --progress off";
      break;
    case Command::kSort:
      line += "sort " + in + "/csv --by k,v,s -o " + file + shuffle + " --progress off";
      break;
    case Command::kJoin:
      line += "join " + in + "/csv " + in + "/right.csv --on k -o " + file + shuffle +
              " --partitions 8 --progress off";
      break;
    case Command::kBloom:
      // An explicit delimiter: bloom maps its inputs only when the dialect is known up front.
      line += "bloom " + in + "/csv --column k --delimiter , -o " + file + " --progress off";
      break;
    case Command::kBatch:
      line += "batch -i " + Quote(in + "/csv/*.csv") +
              " --by k --chunks 3 --retry-delay 0.05 --max-attempts 2 --threads 2 -o " +
              out.string() + report + " --progress off -- " + binary +
              " groupby {input} --by k --agg " + Quote("sum(v) as t") +
              " -o {output} --progress off --log-level error";
      break;
    case Command::kRun:
      line += "run --job j --partition-by list:a,b,c --retry-delay 0.05 --workers 2 --state " +
              (dir / (out.filename().string() + "-state")).string() + " --output " + out.string() +
              report + " -- sh -c " + Quote("echo {key} > {output}/part.txt");
      break;
  }
  if (c.command != Command::kRun && c.command != Command::kBatch) {
    line += report + " --log-level warn";
  }
  return line;
}

testing::CommandRun RunLine(const std::string& env, const std::string& line) {
  int status = 0;
  testing::CommandRun r;
  r.out = testing::CommandOutput(env + line + " 2>&1", &status);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether some component of `relative` is hidden (state, attempts, staging files).
bool Hidden(const fs::path& relative) {
  for (const fs::path& part : relative) {
    if (!part.empty() && part.string()[0] == '.') return true;
  }
  return false;
}

// A result's content: its visible files (JSON left out) as sorted lines, by relative path.
std::map<std::string, std::vector<std::string>> Result(const fs::path& out) {
  std::map<std::string, std::vector<std::string>> result;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), out);
    if (!it->is_regular_file() || Hidden(relative) || relative.extension() == ".json") continue;
    std::string text;
    if (relative.extension() == ".parquet") {
      int status = 0;
      text = testing::CommandOutput(
          std::string(SLUICE_BINARY) + " cat " + it->path().string() + " 2>&1", &status);
      if (status != 0) text = "not readable: " + text;
    } else {
      text = ReadFile(it->path());
    }
    result[relative.string()] = SortedLines(text);
  }
  return result;
}

// Files under `dir` whose path has `part` in it.
std::vector<std::string> FilesWith(const fs::path& dir, const std::string& part) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().string().find(part) != std::string::npos) {
      found.push_back(it->path().string());
    }
  }
  return found;
}

// What the command said about its failure: its `sluice: ...` lines and a compaction's
// `FAILED <partition>: ...` lines.
std::string FailureLines(const std::string& output) {
  std::string lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("sluice: ") || line.starts_with("FAILED ")) lines += line + "\n";
  }
  return lines;
}

// The `sluice retry ...` command the failure told the user to run first, or "".
std::string RetryCommand(const std::string& failure) {
  const size_t at = failure.find("`sluice retry ");
  if (at == std::string::npos) return "";
  const size_t end = failure.find('`', at + 1);
  return std::string(SLUICE_BINARY) + failure.substr(at + 7, end - at - 7);
}

// The environment that loads the shim: `op` calls on `path`, from the nth, meet `fault`
// ("SLUICE_FAULT_ERRNO=EIO" or "SLUICE_FAULT_CHANGE=..."), logged to `log`.
std::string ShimEnvironment(const std::string& op, const fs::path& path, int nth,
                            const std::string& fault, const std::string& log) {
  return "env LD_PRELOAD=" + std::string(SLUICE_FAULT_SHIM) +
         " ASAN_OPTIONS=verify_asan_link_order=0 SLUICE_FAULT_OP=" + op +
         " SLUICE_FAULT_PATH=" + path.string() + " SLUICE_FAULT_NTH=" + std::to_string(nth) + " " +
         fault + " SLUICE_FAULT_LOG=" + log + " ";
}

// A case's directory: Parquet or CSV inputs under in/, empty spill/ and out/.
void PrepareCase(const fs::path& dir, bool parquet) {
  if (parquet) {
    WriteParquetInputs(dir / "in");
  } else {
    WriteCsvInputs(dir / "in");
  }
  fs::create_directories(dir / "spill");
  fs::create_directories(dir / "out");
}

// A compaction's partition p=1 failed for good at once: in the ledger after
// c.fails_for_good_after attempts of its three, with the error the user saw; the others done.
void ExpectFailedForGood(const FaultCase& c, const fs::path& dir, const std::string& error) {
  EXPECT_NE(error.find("FAILED p=1: "), std::string::npos) << error;
  EXPECT_NE(RetryCommand(error), "") << error;
  auto ledger = ledger::OpenLedger((dir / "out" / ".sluice" / "ledger.db").string());
  std::vector<ledger::JobRecord> jobs = ledger->ListJobs();
  std::erase_if(jobs, [](const ledger::JobRecord& j) { return !j.name.starts_with("compact "); });
  ASSERT_EQ(jobs.size(), 1u);
  const ledger::JobId job = jobs[0].id;
  const std::vector<ledger::PartitionRecord> failed =
      ledger->ListPartitions(job, {.status = ledger::PartitionStatus::kFailed});
  ASSERT_EQ(failed.size(), 1u) << error;
  EXPECT_EQ(failed[0].key, "p=1");
  EXPECT_EQ(failed[0].attempts_used, c.fails_for_good_after) << failed[0].error;
  EXPECT_NE(failed[0].error.find(c.says), std::string::npos) << failed[0].error;
  EXPECT_NE(failed[0].error.find((dir / c.names).string()), std::string::npos) << failed[0].error;
  int permanent = 0;
  for (const ledger::EventRecord& e : ledger->ReadEvents(job)) {
    permanent += e.partition_id == failed[0].id && e.kind == "failed" &&
                 e.detail_json.find("\"permanent\":true") != std::string::npos;
  }
  EXPECT_EQ(permanent, 1) << "failed for good, not for want of attempts";
  EXPECT_EQ(ledger->Progress(job).done, 2);
}

class FaultMatrixTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultMatrixTest, FailsCleanlyAndResumes) {
  const FaultCase& c = GetParam();
  SLUICE_REQUIRE_TOOL(fs::exists(SLUICE_FAULT_SHIM), "the fault injection shim "
                                                         << SLUICE_FAULT_SHIM
                                                         << " is missing (built with the tests)");
  ScratchDir scratch("sluice-fault-matrix");
  const fs::path dir = scratch.path();
  PrepareCase(dir, c.command == Command::kCompact);
  fs::create_directories(dir / "ref");

  testing::CommandRun ref = RunLine("", CommandLine(c, dir, dir / "ref"));
  ASSERT_EQ(ref.status, 0) << ref.out;
  const auto expected = Result(dir / "ref");
  ASSERT_FALSE(expected.empty()) << ref.out;
  if (c.prime) {
    testing::CommandRun prime = RunLine("", CommandLine(c, dir, dir / "out"));
    ASSERT_EQ(prime.status, 0) << prime.out;
  }

  const std::string log = (dir / "fault.log").string();
  const std::string env =
      ShimEnvironment(c.op, dir / c.path, c.nth, std::string("SLUICE_FAULT_ERRNO=") + c.error, log);
  const std::string line = CommandLine(c, dir, dir / "out");
  testing::CommandRun faulty = RunLine(env, line);
  ASSERT_TRUE(fs::exists(log)) << "the fault was never met:\n" << faulty.out;
  EXPECT_EQ(faulty.status, 1) << faulty.out;
  const std::string error = FailureLines(faulty.out);
  std::printf("%s:\n%s", c.name, error.c_str());
  EXPECT_NE(error.find(c.says), std::string::npos) << faulty.out;
  EXPECT_NE(error.find((dir / c.names).string()), std::string::npos) << faulty.out;
  EXPECT_NE(error.find("run the command again"), std::string::npos) << faulty.out;
  if (c.stops) {
    EXPECT_EQ(RetryCommand(error), "") << "a partition used up its attempts:\n" << error;
  }
  if (c.fails_for_good_after > 0) ExpectFailedForGood(c, dir, error);
  // Whatever is visible is whole: the reference's file of that name, byte for byte in content.
  for (const auto& [name, lines] : Result(dir / "out")) {
    auto it = expected.find(name);
    EXPECT_TRUE(it != expected.end() && it->second == lines) << "partial output " << name;
  }
  EXPECT_TRUE(fs::is_empty(dir / "spill")) << "spill files left: " << faulty.out;

  // As the user is told: requeue partitions that used up their attempts, then run again.
  if (const std::string retry = RetryCommand(error); !retry.empty()) {
    testing::CommandRun requeued = RunLine("", retry);
    ASSERT_EQ(requeued.status, 0) << retry << "\n" << requeued.out;
  }
  testing::CommandRun resumed = RunLine("", line);
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_EQ(Result(dir / "out"), expected);
  EXPECT_EQ(FilesWith(dir, ".sluice-attempts"), std::vector<std::string>{}) << resumed.out;
  EXPECT_EQ(FilesWith(dir, ".tmp-"), std::vector<std::string>{}) << resumed.out;
  EXPECT_TRUE(fs::is_empty(dir / "spill")) << resumed.out;
}

INSTANTIATE_TEST_SUITE_P(Cases, FaultMatrixTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<FaultCase>& info) {
                           return std::string(info.param.name);
                         });

// Inputs another process changes while the command reads them (issue item 3): the shim changes
// the file at its Nth matching call (SLUICE_FAULT_CHANGE). The command must exit 1 naming the
// file, say how it changed and what to do, and make no output visible.
struct ChangeCase {
  const char* name;
  Command command;  // kBloom (mapped CSV), kGroupBy or kSort
  bool parquet;     // inputs: in/parquet/p=1 (else in/csv)
  const char* op;
  const char* path;    // the input changed, relative to the case's directory
  int nth;             // at the Nth matching call
  const char* change;  // SLUICE_FAULT_CHANGE
  const char* says;    // besides "input <path> changed while it was read: "
};

void PrintTo(const ChangeCase& c, std::ostream* os) { *os << c.name; }

// clang-format off
const ChangeCase kChanges[] = {
  {"BloomMappedCsvTruncated", Command::kBloom, false, "mmap", "in/csv/b.csv", 2, "truncate:1000",
   "now 1000"},
  {"BloomMappedCsvGrows", Command::kBloom, false, "mmap", "in/csv/b.csv", 2, "grow:10",
   "bytes, now"},
  {"GroupByCsvTruncated", Command::kGroupBy, false, "read", "in/csv/a.csv", 2, "truncate:1000",
   "now 1000"},
  {"GroupByParquetTruncated", Command::kGroupBy, true, "read", "in/parquet/p=1/f0.parquet", 2,
   "truncate:100", "now 100"},
  {"SortParquetRemoved", Command::kSort, true, "read", "in/parquet/p=1/f1.parquet", 3, "remove",
   "now removed"},
};
// clang-format on

std::string ChangeCommandLine(const ChangeCase& c, const fs::path& dir) {
  const std::string in = (dir / "in" / (c.parquet ? "parquet/p=1" : "csv")).string();
  const std::string out = (dir / "out").string();
  const std::string tail = " --spill-dir " + (dir / "spill").string() + " --progress off";
  std::string line = std::string(SLUICE_BINARY) + " ";
  switch (c.command) {
    case Command::kBloom:
      return line + "bloom " + in + " --column k --delimiter , -o " + out + "/result.bloom" +
             " --progress off";
    case Command::kGroupBy:
      return line + "groupby " + in + " --by " + (c.parquet ? "value" : "k") + " --agg " +
             Quote("count(*) as n") + " -o " + out + "/result.parquet" + tail;
    default:
      return line + "sort " + in + " --by " + (c.parquet ? "id" : "k") + " -o " + out +
             "/result.parquet" + tail;
  }
}

class ChangingInputTest : public ::testing::TestWithParam<ChangeCase> {};

TEST_P(ChangingInputTest, FailsNamingTheFileAndWritesNothing) {
  const ChangeCase& c = GetParam();
  SLUICE_REQUIRE_TOOL(fs::exists(SLUICE_FAULT_SHIM), "the fault injection shim is missing");
  ScratchDir scratch("sluice-changing-input");
  const fs::path dir = scratch.path();
  PrepareCase(dir, c.parquet);
  const fs::path changed = dir / c.path;
  const std::string log = (dir / "fault.log").string();
  const std::string env =
      ShimEnvironment(c.op, changed, c.nth, std::string("SLUICE_FAULT_CHANGE=") + c.change, log);
  const testing::CommandRun r = RunLine(env, ChangeCommandLine(c, dir));
  ASSERT_TRUE(fs::exists(log)) << "the change was never made:\n" << r.out;
  EXPECT_EQ(r.status, 1) << r.out;
  const std::string error = FailureLines(r.out);
  std::printf("%s:\n%s", c.name, error.c_str());
  const std::string named = "input " + changed.string() + " changed while it was read: ";
  EXPECT_NE(error.find(named), std::string::npos) << r.out;
  EXPECT_NE(error.find(c.says, error.find(named)), std::string::npos) << r.out;
  EXPECT_NE(error.find("run the command again"), std::string::npos) << r.out;
  EXPECT_EQ(Result(dir / "out"), (std::map<std::string, std::vector<std::string>>{})) << r.out;
  EXPECT_TRUE(fs::is_empty(dir / "spill")) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Changes, ChangingInputTest, ::testing::ValuesIn(kChanges),
                         [](const ::testing::TestParamInfo<ChangeCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace sluice
