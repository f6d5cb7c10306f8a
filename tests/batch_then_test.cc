// Batched tasks that load a warehouse (jobs/batch/batched_step.h): 256 chunks computed, each
// loaded by a step 128 at a time into a fake warehouse on loopback (batch_fake_warehouse.h:
// 50-200 ms a request, 5% answered 503), then finalized once. A first run with --limit
// warehouse=2 keeps at most 2 loads in flight while its computing goes on (a chunk holds a unit
// only while its load runs), and is killed with SIGKILL once every chunk is computed and 40 are
// loaded (over 150 wait for their load); the resumed run (warehouse=128) loads those at once, over
// 100 in flight at the peak, loads every chunk exactly once (loads in flight at the kill reach
// the warehouse again and its load history turns them away), re-sends no load whose step was
// recorded, and finalizes once; its report's task timeline has a bar per chunk attempt and each
// chunk's bytes. A changed input row recomputes and reloads one chunk and finalizes again; an
// unchanged run sends nothing; loading everything into another table (the step's version
// bumped) runs only the step, over 100 in flight. The same through `sluice batch --then curl ...
// --finalize curl ...` (--limit warehouse=12 holds), where another --then command runs only that
// step again and a failing finalize is retried by the next run alone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "batch_fake_warehouse.h"
#include "command_output_test_support.h"
#include "sluice/base/bytes.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;
using testing::FakeWarehouse;

constexpr int kChunks = 256;

std::shared_ptr<const Schema> OrdersSchema() {
  return std::make_shared<const Schema>(std::vector<Field>{
      {"customer_id", DataType::Int64(), false}, {"amount", DataType::Int64(), false}});
}

// Orders of 8192 customers, two each; `changed` adds 1 to one order's amount.
void WriteOrders(const std::string& path, bool changed) {
  Int64Builder ids, amounts;
  for (int64_t i = 0; i < 16384; ++i) {
    ids.Append(i % 8192);
    amounts.Append(i * 7 % 1000 + (changed && i == 4242 ? 1 : 0));
  }
  parquet::WriteParquetFile(path, OrdersSchema(),
                            {RecordBatch::Make(OrdersSchema(), {ids.Finish(), amounts.Finish()})});
}

class BatchThenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("sluice-batch-then-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_);
  }
  void TearDown() override { stdfs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  struct JobParams {
    std::string table = "orders";
    std::string version = "1";  // the load step's
    // --limit warehouse=N: loads in flight across every process of the job.
    int64_t warehouse_limit = 128;
    std::atomic<int>* computed = nullptr;  // counts the task's calls (may be shared by a fork)
    int chunks_in_flight = 0;              // claimed at once; 0: the default
  };

  // The chunk's rows as they are; loaded as "COPY INTO <table> FROM @stage/<key>", the chunk's
  // cache key (what changes exactly when its output does), by step "load"; finalized with its
  // key.
  BatchedJob Job(FakeWarehouse& warehouse, const JobParams& params) const {
    const int port = warehouse.port();
    BatchedOptions options;
    options.by = {"customer_id"};
    options.chunks = kChunks;
    options.name = "orders";
    options.retry_delay = std::chrono::milliseconds(20);
    options.resources = {{"warehouse", params.warehouse_limit}};
    options.chunks_in_flight = params.chunks_in_flight;
    std::atomic<int>* computed = params.computed;
    return Batched(
               [computed](const ChunkInputs& in) {
                 if (computed != nullptr) ++*computed;
                 return in.at("orders");
               },
               options)
        .Then(
            [port, table = params.table](const ChunkStepFiles& chunk) {
              testing::PostStatement(port, "COPY INTO " + table + " FROM @stage/" + chunk.key);
            },
            {.name = "load",
             .version = params.version,
             .concurrency = 128,
             .max_attempts = 8,
             .retry_delay = std::chrono::milliseconds(20)})
        .Finalize(
            [port](const FinalizeContext& ctx) {
              testing::PostStatement(port, "FINALIZE " + ctx.key);
            },
            {.retry_delay = std::chrono::milliseconds(20)});
  }
  std::vector<BatchInput> Inputs() const {
    return {BatchInput::Parquet("orders", {Path("orders.parquet")})};
  }

  stdfs::path dir_;
};

int CountSteps(const BatchedReport& report, const std::string& status) {
  int n = 0;
  for (const ChunkOutcome& o : report.chunks) n += o.steps.at(0).status == status;
  return n;
}

// The report's task timeline (compute.tasks, jobs/task_timeline.h), as its HTML page draws it:
// one bar per attempt at every chunk the job computed (numbered 1, 2, ... per chunk), and each
// chunk's output bytes for the histogram of partition sizes. Returns the bars per chunk.
std::map<std::string, int> ExpectOneBarPerAttempt(const json& report) {
  const json& tasks = report.at("compute").at("tasks");
  std::map<std::string, std::vector<int64_t>> bars;
  for (const json& a : tasks.at("attempts")) {
    bars[a.at("partition").get<std::string>()].push_back(a.at("attempt").get<int64_t>());
  }
  std::map<std::string, int64_t> bytes;
  for (const json& c : report.at("chunks")) {
    bytes[fmt::format("chunk-{:05d}", c.at("chunk").get<int>())] = c.at("bytes").get<int64_t>();
  }
  EXPECT_FALSE(tasks.at("partitions").empty());
  EXPECT_EQ(bars.size(), tasks.at("partitions").size());
  std::map<std::string, int> counts;
  for (const json& p : tasks.at("partitions")) {
    const std::string key = p.at("key").get<std::string>();
    std::vector<int64_t> attempts = bars[key];
    std::sort(attempts.begin(), attempts.end());
    EXPECT_FALSE(attempts.empty()) << key;
    for (size_t i = 0; i < attempts.size(); ++i) {
      EXPECT_EQ(attempts[i], static_cast<int64_t>(i) + 1) << key;
    }
    EXPECT_GT(p.value("bytes", int64_t{0}), 0) << key;
    EXPECT_EQ(p.value("bytes", int64_t{0}), bytes.at(key)) << key;
    counts[key] = static_cast<int>(attempts.size());
  }
  return counts;
}

// A counter in memory shared with a forked child.
std::atomic<int>* SharedCounter() {
  void* memory = mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::runtime_error("mmap failed");
  return new (memory) std::atomic<int>(0);
}

TEST_F(BatchThenTest, LoadsAWarehouse128WayOnceAcrossAKillAndFinalizesOncePerChange) {
  FakeWarehouse warehouse(0.05);
  WriteOrders(Path("orders.parquet"), false);
  const std::string out = Path("out");
  RunOptions run{.memory_budget = 256_MiB, .cpu_threads = 2};

  // The first run, in a child process, with --limit warehouse=2 and every chunk claimed at once:
  // the loads trickle while the chunks are computed (a chunk holds a unit only while its load
  // runs), so computed chunks pile up waiting for their load. It is killed with SIGKILL once every
  // chunk is computed and 40 are loaded.
  constexpr int kThrottled = 2;
  std::atomic<int>* computed = SharedCounter();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      Job(warehouse,
          {.warehouse_limit = kThrottled, .computed = computed, .chunks_in_flight = kChunks})
          .Run(Inputs(), out, run);
    } catch (...) {
    }
    _exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto waiting = [&] { return computed->load() - static_cast<int>(warehouse.loads().size()); };
  while ((warehouse.loads().size() < 40 || computed->load() < kChunks) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the first run ended before the kill";
  const size_t loaded_before = warehouse.loads().size();
  std::cerr << "at the kill: " << computed->load() << " chunks computed, " << loaded_before
            << " loaded, peak in flight " << warehouse.peak_in_flight() << "\n";
  EXPECT_LE(warehouse.peak_in_flight(), kThrottled);
  ASSERT_GE(waiting(), 150) << "the computing stalled behind the throttled loads";
  ASSERT_LT(loaded_before, static_cast<size_t>(kChunks));
  EXPECT_TRUE(warehouse.finalizes().empty());
  warehouse.ResetPeak();

  // The resumed run: every chunk loaded exactly once, no load re-sent whose step was recorded.
  const int64_t resumed_at = warehouse.requests();
  BatchedReport resumed = Job(warehouse, {}).Run(Inputs(), out, run);
  const std::map<std::string, int> loads = warehouse.loads();
  EXPECT_EQ(loads.size(), static_cast<size_t>(kChunks));
  for (const ChunkOutcome& o : resumed.chunks) {
    ASSERT_EQ(o.steps.size(), 1u);
    EXPECT_EQ(loads.count("orders/" + o.key), 1u) << "chunk " << o.chunk;
    if (o.steps[0].status == "hit") {
      EXPECT_EQ(warehouse.RequestsSince(resumed_at, "orders/" + o.key), 0) << "chunk " << o.chunk;
    } else {
      EXPECT_EQ(o.steps[0].status, "ran") << "chunk " << o.chunk;
    }
  }
  // Only loads not yet recorded at the kill, each holding one of the 2 units, may reach the
  // warehouse twice (its history turns them away).
  EXPECT_LE(warehouse.duplicates(), kThrottled);
  EXPECT_GE(CountSteps(resumed, "hit"), static_cast<int>(loaded_before) - kThrottled);
  // The chunks computed before the kill are loaded at once, over 100 at a time, never over the
  // limit of 128.
  EXPECT_GE(warehouse.peak_in_flight(), 100);
  EXPECT_LE(warehouse.peak_in_flight(), 128);
  EXPECT_EQ(warehouse.finalizes().size(), 1u);
  EXPECT_EQ(resumed.finalize.status, "ran");
  EXPECT_EQ(warehouse.finalizes().back(), resumed.finalize.key);
  std::cerr << "after the resume: peak in flight " << warehouse.peak_in_flight() << ", "
            << warehouse.duplicates() << " loads turned away as repeats\n";
  ExpectOneBarPerAttempt(resumed.ToJson());

  // One changed row: one chunk recomputed and reloaded, finalize again.
  WriteOrders(Path("orders.parquet"), true);
  const int64_t changed_at = warehouse.requests();
  BatchedReport changed = Job(warehouse, {}).Run(Inputs(), out, run);
  EXPECT_EQ(changed.recomputed, 1);
  EXPECT_EQ(changed.hits, kChunks - 1);
  EXPECT_EQ(CountSteps(changed, "ran"), 1);
  EXPECT_EQ(CountSteps(changed, "hit"), kChunks - 1);
  EXPECT_EQ(warehouse.loads().size(), static_cast<size_t>(kChunks) + 1);  // one new file
  for (const ChunkOutcome& o : changed.chunks) {
    if (o.status == ChunkStatus::kRecomputed) {
      EXPECT_GE(warehouse.RequestsSince(changed_at, "orders/" + o.key), 1);
    } else {
      EXPECT_EQ(warehouse.RequestsSince(changed_at, "orders/" + o.key), 0);
    }
  }
  EXPECT_EQ(changed.finalize.status, "ran");
  EXPECT_EQ(warehouse.finalizes().size(), 2u);

  // Nothing changed: nothing sent, finalize a hit.
  const int64_t same_at = warehouse.requests();
  BatchedReport same = Job(warehouse, {}).Run(Inputs(), out, run);
  EXPECT_EQ(same.hits, kChunks);
  EXPECT_EQ(CountSteps(same, "hit"), kChunks);
  EXPECT_EQ(same.finalize.status, "hit");
  EXPECT_EQ(warehouse.requests(), same_at);

  // Load everything into another table (the load step's version bumped): the tasks all hit, so
  // the loads are the bottleneck and over 100 of them are in flight at once.
  warehouse.ResetPeak();
  BatchedReport reload =
      Job(warehouse, {.table = "orders_v2", .version = "2"}).Run(Inputs(), out, run);
  EXPECT_EQ(reload.hits, kChunks);
  EXPECT_EQ(CountSteps(reload, "ran"), kChunks);
  int reloaded = 0;
  for (const auto& [subject, n] : warehouse.loads()) reloaded += subject.starts_with("orders_v2/");
  EXPECT_EQ(reloaded, kChunks);
  EXPECT_GE(warehouse.peak_in_flight(), 100);
  EXPECT_LE(warehouse.peak_in_flight(), 128);
  // The load step is a stage of the compute pipeline, weighed by its verdict.
  bool has_load_stage = false;
  for (const auto& stage : reload.compute.stages) has_load_stage |= stage.name == "load";
  EXPECT_TRUE(has_load_stage);
  EXPECT_EQ(reload.finalize.status, "ran");
  EXPECT_EQ(warehouse.finalizes().size(), 3u);
  std::cerr << "re-load: peak in flight " << warehouse.peak_in_flight() << "; "
            << reload.compute.verdict.text << "\n";
}

struct Result {
  int status = 0;
  std::string out;
};

Result RunSluice(const std::string& args) {
  Result r;
  int status = 0;
  r.out = testing::CommandOutput(std::string(SLUICE_BINARY) + " " + args + " 2>&1", &status);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_F(BatchThenTest, CliThenCurlAndFinalizeRunOnlyWhatChanged) {
  SLUICE_REQUIRE_TOOL(stdfs::exists("/usr/bin/curl"),
                      "curl is not installed (apt-get install curl)");
  FakeWarehouse warehouse(0.05);
  std::string csv = "customer_id,amount\n";
  for (int i = 0; i < 400; ++i) csv += std::to_string(i % 97) + "," + std::to_string(i) + "\n";
  std::ofstream(Path("orders.csv")) << csv;
  auto batch = [&](const std::string& then) {
    return RunSluice("batch -i " + Path("orders.csv") + " --by customer_id --chunks 16 -o " +
                     Path("out") + " --retry-delay 0.02 --max-attempts 6 --then-concurrency 16 " +
                     "--limit warehouse=12 --progress off --report " + Path("report.json") +
                     " --then '" + then + "' --finalize 'curl -fsS -o /dev/null --data-binary " +
                     "\"FINALIZE {key}\" " + warehouse.url() + "' -- cp {input} {output}");
  };
  auto report = [&] { return json::parse(std::ifstream(Path("report.json"))); };
  const std::string load =
      "curl -fsS -o /dev/null --data-binary \"COPY INTO orders FROM "
      "@stage/{key} ({rows} rows of {file})\" " +
      warehouse.url();

  Result first = batch(load);
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_EQ(warehouse.loads().size(), 16u);
  EXPECT_EQ(warehouse.finalizes().size(), 1u);
  EXPECT_NE(first.out.find("finalize: ran"), std::string::npos) << first.out;
  json r = report();
  EXPECT_TRUE(r["compute"]["stages"].dump().find("then1:curl") != std::string::npos);
  for (const json& c : r["chunks"]) EXPECT_EQ(c["steps"][0]["status"], "ran") << c.dump();
  EXPECT_LE(warehouse.peak_in_flight(), 12);  // --limit warehouse=12
  // `sluice status` lists the chunks' job, not the job that counts the units of --limit.
  Result status = RunSluice("status --state " + Path("out") + "/.sluice");
  ASSERT_EQ(status.status, 0) << status.out;
  EXPECT_EQ(std::count(status.out.begin(), status.out.end(), '\n'), 1) << status.out;
  EXPECT_EQ(status.out.find(" units"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("no jobs"), std::string::npos) << status.out;
  // The task timeline: a bar per chunk attempt (the task's, or a retry of its steps alone).
  const std::map<std::string, int> bars = ExpectOneBarPerAttempt(r);
  EXPECT_EQ(bars.size(), 16u);
  for (const json& c : r["chunks"]) {
    EXPECT_GE(bars.at(fmt::format("chunk-{:05d}", c["chunk"].get<int>())),
              c["attempts"].get<int>());
  }

  // Another --then command is another step: the tasks hit, the step runs again, then finalize.
  const int64_t before = warehouse.requests();
  Result again = batch(load + " -H X-Retry:1");
  ASSERT_EQ(again.status, 0) << again.out;
  r = report();
  EXPECT_EQ(r["counts"]["hit"], 16);
  for (const json& c : r["chunks"]) EXPECT_EQ(c["steps"][0]["status"], "ran") << c.dump();
  EXPECT_GE(warehouse.requests() - before, 16);
  EXPECT_EQ(warehouse.finalizes().size(), 2u);

  // A finalize that fails leaves the chunks in place; the next run retries finalize alone.
  warehouse.FailFinalize(true);
  // Back to the first command, whose step entries the second run pruned: the loads are sent again
  // (the warehouse's history turns them away) and finalize fails.
  Result unchanged = batch(load);
  EXPECT_EQ(unchanged.status, 1) << unchanged.out;
  EXPECT_NE(unchanged.out.find("next run retries finalize"), std::string::npos) << unchanged.out;
  warehouse.FailFinalize(false);
  const int64_t retried_at = warehouse.requests();
  Result retried = batch(load);
  ASSERT_EQ(retried.status, 0) << retried.out;
  r = report();
  for (const json& c : r["chunks"]) EXPECT_EQ(c["steps"][0]["status"], "hit") << c.dump();
  EXPECT_EQ(r["finalize"]["status"], "ran");
  EXPECT_EQ(warehouse.finalizes().size(), 3u);
  // The finalize alone (with its retries after a 503).
  EXPECT_GE(warehouse.requests() - retried_at, 1);
  EXPECT_EQ(warehouse.RequestsSince(retried_at, r["finalize"]["key"].get<std::string>()),
            warehouse.requests() - retried_at);
}

}  // namespace
}  // namespace sluice
