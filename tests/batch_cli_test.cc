// `sluice batch` end to end with the real binary: DuckDB writes the inputs; the task is an
// external command (`sluice groupby` itself, through a shell script); DuckDB reads the output
// glob and finds the same per-customer sums it computes over the inputs. Re-runs hit the cache
// (asserted from the --report JSON), a run killed with SIGKILL resumes computing only the chunks
// that were missing, and errors (a failing command, a missing grouping column) name the chunk or
// input. `sluice inspect` reads the output directory as one table. A job submitted to a ledger
// and run by two `sluice worker`s publishes what one process writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/table/array.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int status = 0;
  std::string out;
};

// `sluice batch FLAGS --progress off -- COMMAND`.
Result RunBatch(const std::string& flags, const std::string& command) {
  const std::string line =
      std::string(SLUICE_BINARY) + " batch " + flags + " --progress off -- " + command + " 2>&1";
  Result r;
  int status = 0;
  r.out = testing::CommandOutput(line, &status);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class BatchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    if (!duckdb_) return;
    dir_ = fs::temp_directory_path() /
           ("sluice_batch_cli_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "orders");
    for (int f = 0; f < 3; ++f) {
      duckdb_->Query(
          "COPY (SELECT CASE WHEN i % 53 = 0 THEN NULL ELSE ((i * 7919 + " + std::to_string(f) +
          ") % 400)::BIGINT END AS customer_id, (i % 97 - 10)::BIGINT AS amount, 'x' || i AS note "
          "FROM range(" +
          std::to_string(5000 + f * 1000) + ") t(i)) TO '" +
          Path("orders/part" + std::to_string(f) + ".parquet") + "' (FORMAT parquet)");
    }
    // The task: per-customer sums by `sluice groupby`, a little slow so a kill lands midway.
    std::ofstream(Path("task.sh"))
        << "#!/bin/sh\nsleep ${TASK_SLEEP:-0}\nexec " << SLUICE_BINARY
        << " groupby \"$1\" --by customer_id --agg 'sum(amount) as total, count(*) as n' -o "
           "\"$2\" --progress off --log-level error\n";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Task() const { return "sh " + Path("task.sh") + " {input} {output}"; }
  std::string Flags(int chunks, const std::string& out) const {
    return "-i '" + Path("orders/*.parquet") + "' --by customer_id --chunks " +
           std::to_string(chunks) + " -o " + out + " --report " + Path("report.json") +
           " --retry-delay 0.05";
  }
  json Report() const {
    std::ifstream in(Path("report.json"));
    return json::parse(in);
  }
  // Rows of the expected sums that the output lacks, plus rows of the output that are not
  // expected (EXCEPT ALL both ways): 0 when they are the same multiset.
  int64_t Differences(const std::string& out) {
    const std::string expected =
        "SELECT customer_id, sum(amount)::BIGINT AS total, count(*)::BIGINT AS n FROM "
        "read_parquet('" +
        Path("orders/*.parquet") + "') GROUP BY customer_id";
    const std::string got =
        "SELECT customer_id, total::BIGINT AS total, n::BIGINT AS n FROM "
        "read_parquet('" +
        out + "/*.parquet')";
    RecordBatch r =
        duckdb_->Query("SELECT (SELECT count(*) FROM (" + expected + " EXCEPT ALL " + got +
                       ")) + (SELECT count(*) FROM (" + got + " EXCEPT ALL " + expected + "))");
    return r.column(0).Value<int64_t>(0);
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  fs::path dir_;
};

TEST_F(BatchCliTest, CommandTaskOutputReadsInDuckDbAndReRunsHitTheCache) {
  if (!duckdb_) return;
  const std::string out = Path("out");
  Result first = RunBatch(Flags(8, out), Task());
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("chunks: 0 hit, 8 miss, 0 recomputed, 0 failed of 8"), std::string::npos)
      << first.out;
  EXPECT_EQ(Differences(out), 0);
  EXPECT_EQ(Report()["counts"]["miss"], 8);

  Result again = RunBatch(Flags(8, out), Task());
  ASSERT_EQ(again.status, 0) << again.out;
  // A named copy: ranging over Report()["chunks"] would read the destroyed temporary.
  const json hits = Report();
  EXPECT_EQ(hits["counts"]["hit"], 8);
  for (const json& c : hits["chunks"]) EXPECT_EQ(c["attempts"], 0);

  // One more input file, with one order of customer 7: only that customer's chunk changes.
  duckdb_->Query(
      "COPY (SELECT 7::BIGINT AS customer_id, 1000::BIGINT AS amount, 'y' AS note) TO '" +
      Path("orders/part9.parquet") + "' (FORMAT parquet)");
  Result added = RunBatch(Flags(8, out), Task());
  ASSERT_EQ(added.status, 0) << added.out;
  json report = Report();
  EXPECT_EQ(report["counts"]["recomputed"], 1) << report.dump(1);
  EXPECT_EQ(report["counts"]["hit"], 7);
  EXPECT_EQ(Differences(out), 0);

  Result rechunked = RunBatch(Flags(4, out), Task());
  ASSERT_EQ(rechunked.status, 0) << rechunked.out;
  EXPECT_EQ(Report()["counts"]["recomputed"], 4);
  EXPECT_EQ(Report()["chunks"][0]["reason"],
            "chunking changed: by customer_id into 8 chunks (xxh64-rows-v1) -> by customer_id into "
            "4 chunks (xxh64-rows-v1)");
  EXPECT_EQ(Differences(out), 0);

  int status = 0;
  std::string inspect =
      testing::CommandOutput(std::string(SLUICE_BINARY) + " inspect " + out + " 2>&1", &status);
  EXPECT_EQ(status, 0) << inspect;
  EXPECT_NE(inspect.find("chunking: by customer_id into 4 chunks"), std::string::npos) << inspect;
  EXPECT_NE(inspect.find("rows: 401 in 4 files"), std::string::npos) << inspect;
  std::string manifest = testing::CommandOutput(
      std::string(SLUICE_BINARY) + " inspect " + out + "/manifest.json --json", &status);
  EXPECT_EQ(json::parse(manifest)["files"].size(), 4u);
}

// The output's manifest as (chunk, key, file, rows) per chunk.
std::vector<std::tuple<int, std::string, std::string, int64_t>> ManifestChunks(
    const std::string& out) {
  std::ifstream in(out + "/manifest.json");
  const json manifest = json::parse(in);
  std::vector<std::tuple<int, std::string, std::string, int64_t>> chunks;
  for (const json& c : manifest["chunks"]) {
    chunks.emplace_back(c["chunk"].get<int>(), c["key"].get<std::string>(),
                        c["file"].is_null() ? "" : c["file"].get<std::string>(),
                        c["rows"].get<int64_t>());
  }
  return chunks;
}

TEST_F(BatchCliTest, TwoWorkersOfASubmittedJobPublishWhatOneProcessWrites) {
  if (!duckdb_) return;
  // A step per chunk that appends its chunk to a log beside the output: each chunk's step must
  // run once across both workers (the single run logs elsewhere).
  std::ofstream(Path("step.sh")) << "#!/bin/sh\necho $1 >> $2\n";
  auto step = [&](const std::string& log) {
    return " --then 'sh " + Path("step.sh") + " {chunk} " + Path(log) + "'";
  };
  Result single = RunBatch(Flags(8, Path("single")) + step("single.log"), Task());
  ASSERT_EQ(single.status, 0) << single.out;

  const std::string ledger = Path("ledger.db");
  Result submitted = RunBatch(
      Flags(8, Path("multi")) + step("multi.log") + " --submit --ledger " + ledger, Task());
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(submitted.out, m, std::regex("--job '([^']+)'"))) << submitted.out;
  EXPECT_NE(submitted.out.find("8 of 8 chunks to compute"), std::string::npos) << submitted.out;
  EXPECT_TRUE(fs::exists(Path("multi.sluice-batch/input/chunk-00007.parquet")));
  EXPECT_FALSE(fs::exists(Path("multi/manifest.json")));  // nothing computed yet

  // Two workers at once, each slowed so both take chunks.
  std::string both;
  for (int w = 1; w <= 2; ++w) {
    both += "(TASK_SLEEP=0.2 " + std::string(SLUICE_BINARY) + " worker --job '" + m[1].str() +
            "' --ledger " + ledger + " --workers 2 > " + Path("w" + std::to_string(w) + ".log") +
            " 2>&1; echo $? > " + Path("w" + std::to_string(w) + ".rc") + ") & ";
  }
  int status = 0;
  testing::CommandOutput("sh -c \"" + both + "wait\"", &status);
  std::string logs[2];
  int published = 0;
  for (int w = 0; w < 2; ++w) {
    std::ifstream rc(Path("w" + std::to_string(w + 1) + ".rc"));
    std::ifstream log(Path("w" + std::to_string(w + 1) + ".log"));
    logs[w].assign(std::istreambuf_iterator<char>(log), {});
    int code = -1;
    rc >> code;
    EXPECT_EQ(code, 0) << logs[w];
    published += logs[w].find("published the output") != std::string::npos;
  }
  EXPECT_EQ(published, 1) << logs[0] << logs[1];
  EXPECT_EQ(Differences(Path("multi")), 0);
  EXPECT_EQ(ManifestChunks(Path("multi")), ManifestChunks(Path("single")));
  EXPECT_FALSE(fs::exists(Path("multi.sluice-batch")));  // the split files are gone
  std::ifstream step_log(Path("multi.log"));
  std::multiset<int> stepped;
  for (int c; step_log >> c;) stepped.insert(c);
  EXPECT_EQ(stepped, (std::multiset<int>{0, 1, 2, 3, 4, 5, 6, 7}));

  // Submitting the same work again finds every chunk in the cache: the job only publishes.
  Result again = RunBatch(
      Flags(8, Path("multi")) + step("multi.log") + " --submit --ledger " + ledger, Task());
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find("0 of 8 chunks to compute"), std::string::npos) << again.out;
  ASSERT_TRUE(std::regex_search(again.out, m, std::regex("--job '([^']+)'"))) << again.out;
  const std::string worker =
      testing::CommandOutput(std::string(SLUICE_BINARY) + " worker --job '" + m[1].str() +
                                 "' --ledger " + ledger + " 2>&1",
                             &status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << worker;
  EXPECT_NE(worker.find("chunks: 8 hit"), std::string::npos) << worker;
  EXPECT_EQ(ManifestChunks(Path("multi")), ManifestChunks(Path("single")));
}

TEST_F(BatchCliTest, ASubmittedJobWithAFailedChunkPublishesNothingUntilSubmittedAgain) {
  if (!duckdb_) return;
  // Chunk 3 fails until the file "fixed" exists.
  std::ofstream(Path("flaky.sh")) << "#!/bin/sh\n[ \"$3\" = 3 ] && [ ! -e " << Path("fixed")
                                  << " ] && exit 3\nexec sh " << Path("task.sh") << " $1 $2\n";
  const std::string flaky = "sh " + Path("flaky.sh") + " {input} {output} {chunk}";
  const std::string ledger = Path("ledger.db");
  const std::string flags = Flags(6, Path("out")) + " --max-attempts 2 --submit --ledger " + ledger;
  auto work = [&](const std::string& what) {
    int status = 0;
    std::string out = testing::CommandOutput(
        std::string(SLUICE_BINARY) + " " + what + " --ledger " + ledger + " 2>&1", &status);
    return Result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  };
  std::smatch m;
  Result submitted = RunBatch(flags, flaky);
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  ASSERT_TRUE(std::regex_search(submitted.out, m, std::regex("--job '([^']+)'")));
  const std::string first = m[1];
  Result failed = work("worker --job '" + first + "'");
  EXPECT_EQ(failed.status, 1) << failed.out;
  EXPECT_NE(failed.out.find("chunk/00003"), std::string::npos) << failed.out;
  EXPECT_FALSE(fs::exists(Path("out/manifest.json")));
  EXPECT_TRUE(fs::exists(Path("out.sluice-batch/input/chunk-00003.parquet")));
  Result retry = work("retry '" + first + "'");
  EXPECT_EQ(retry.status, 1);
  EXPECT_NE(retry.out.find("submit the same"), std::string::npos) << retry.out;

  std::ofstream(Path("fixed")) << "";
  Result again = RunBatch(flags, flaky);
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find("1 of 6 chunks to compute"), std::string::npos) << again.out;
  Result done = work("worker --any");
  EXPECT_EQ(done.status, 0) << done.out;
  EXPECT_NE(done.out.find("chunks: 5 hit, 1 miss"), std::string::npos) << done.out;
  EXPECT_EQ(Differences(Path("out")), 0);
  EXPECT_FALSE(fs::exists(Path("out.sluice-batch")));
}

TEST_F(BatchCliTest, AKilledRunResumesWithOnlyTheMissingChunks) {
  if (!duckdb_) return;
  const std::string out = Path("out");
  const std::string line = "TASK_SLEEP=0.3 exec " + std::string(SLUICE_BINARY) + " batch " +
                           Flags(16, out) + " --chunks-in-flight 2 --threads 2 --progress off -- " +
                           Task() + " > " + Path("killed.log") + " 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", line.c_str(), nullptr);
    _exit(127);
  }
  // Kill it once a few chunks are in the cache.
  auto count_cached = [&] {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out + "/.sluice/cache", ec)) {
      n += e.path().extension() == ".json";
    }
    return n;
  };
  for (int i = 0; i < 600 && count_cached() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int cached = count_cached();
  ASSERT_GE(cached, 3);
  ASSERT_LT(cached, 16) << "the run finished before the kill";
  EXPECT_FALSE(fs::exists(out + "/manifest.json"));

  Result resumed = RunBatch(Flags(16, out), Task());
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  json report = Report();
  EXPECT_EQ(report["counts"]["hit"], cached);
  EXPECT_EQ(report["counts"]["miss"], 16 - cached);
  // Only the missing chunks are computed (a retry after a transient failure may add attempts).
  for (const json& c : report["chunks"]) {
    if (c["status"] == "hit") {
      EXPECT_EQ(c["reason"], "computed by an earlier run that did not finish");
      EXPECT_EQ(c["attempts"], 0);
    } else {
      EXPECT_GE(c["attempts"].get<int>(), 1);
    }
  }
  EXPECT_EQ(Differences(out), 0);
  // No temporary files are left in the output.
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".chunk")) << e.path();
  }
}

TEST_F(BatchCliTest, ErrorsNameTheChunkAndTheInput) {
  if (!duckdb_) return;
  const std::string out = Path("out");
  Result failing =
      RunBatch(Flags(4, out) + " --max-attempts 2",
               "sh -c 'if [ {chunk} = 2 ]; then echo boom on chunk {chunk} >&2; exit 3; fi; "
               "cp {input} {output}'");
  EXPECT_EQ(failing.status, 1) << failing.out;
  EXPECT_NE(failing.out.find("1 of 4 chunks failed"), std::string::npos) << failing.out;
  EXPECT_NE(failing.out.find("chunk 2: i/o error: command failed with exit status 3: boom on "
                             "chunk 2"),
            std::string::npos)
      << failing.out;
  EXPECT_EQ(Report()["chunks"][2]["status"], "failed");
  EXPECT_EQ(Report()["chunks"][2]["attempts"], 2);
  EXPECT_FALSE(fs::exists(out + "/manifest.json"));

  Result missing =
      RunBatch("-i '" + Path("orders/*.parquet") + "' --by customer -o " + out, Task());
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("input 'input' has no grouping column 'customer'"), std::string::npos)
      << missing.out;

  Result placeholder = RunBatch(Flags(4, out), "cp {inptu} {output}");
  EXPECT_EQ(placeholder.status, 1);
  EXPECT_NE(placeholder.out.find("unknown placeholder {inptu}"), std::string::npos)
      << placeholder.out;
}

}  // namespace
}  // namespace sluice
