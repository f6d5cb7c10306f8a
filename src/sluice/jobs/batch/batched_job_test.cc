#include "sluice/jobs/batch/batched_job.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/chunk_cache.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

namespace stdfs = std::filesystem;

using Row = std::tuple<std::optional<int64_t>, std::optional<std::string>, int64_t, int64_t>;

std::shared_ptr<const Schema> OrdersSchema() {
  return std::make_shared<const Schema>(std::vector<Field>{{"customer_id", DataType::Int64(), true},
                                                           {"amount", DataType::Int64(), false}});
}

RecordBatch MakeOrders(const std::vector<std::pair<std::optional<int64_t>, int64_t>>& rows) {
  Int64Builder ids, amounts;
  for (const auto& [id, amount] : rows) {
    if (id) {
      ids.Append(*id);
    } else {
      ids.AppendNull();
    }
    amounts.Append(amount);
  }
  return RecordBatch::Make(OrdersSchema(), {ids.Finish(), amounts.Finish()});
}

// Per customer: region (from the customers input), sum of amounts, number of orders. Respects
// the grouping: only rows of one customer are combined.
ChunkTable PerCustomerSums(const ChunkInputs& in) {
  std::map<int64_t, std::string> regions;
  for (const RecordBatch& b : in.at("customers").batches) {
    const Array& id = b.column("customer_id");
    const Array& region = b.column("region");
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (!id.IsNull(r)) regions[id.Value<int64_t>(r)] = std::string(region.BinaryValue(r));
    }
  }
  std::map<std::optional<int64_t>, std::pair<int64_t, int64_t>> sums;
  for (const RecordBatch& b : in.at("orders").batches) {
    const Array& id = b.column("customer_id");
    const Array& amount = b.column("amount");
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      auto key = id.IsNull(r) ? std::nullopt : std::optional<int64_t>(id.Value<int64_t>(r));
      auto& s = sums[key];
      s.first += amount.Value<int64_t>(r);
      ++s.second;
    }
  }
  auto schema =
      std::make_shared<const Schema>(std::vector<Field>{{"customer_id", DataType::Int64(), true},
                                                        {"region", DataType::String(), true},
                                                        {"total", DataType::Int64(), false},
                                                        {"orders", DataType::Int64(), false}});
  Int64Builder ids, totals, counts;
  StringBuilder region;
  for (const auto& [id, s] : sums) {
    if (id) {
      ids.Append(*id);
    } else {
      ids.AppendNull();
    }
    auto it = id ? regions.find(*id) : regions.end();
    if (it == regions.end()) {
      region.AppendNull();
    } else {
      region.Append(it->second);
    }
    totals.Append(s.first);
    counts.Append(s.second);
  }
  return ChunkTable(schema, {RecordBatch::Make(schema, {ids.Finish(), region.Finish(),
                                                        totals.Finish(), counts.Finish()})});
}

std::vector<Row> Rows(const std::vector<RecordBatch>& batches) {
  std::vector<Row> rows;
  for (const RecordBatch& b : batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      Row row;
      if (!b.column(0).IsNull(r)) std::get<0>(row) = b.column(0).Value<int64_t>(r);
      if (!b.column(1).IsNull(r)) std::get<1>(row) = std::string(b.column(1).BinaryValue(r));
      std::get<2>(row) = b.column(2).Value<int64_t>(r);
      std::get<3>(row) = b.column(3).Value<int64_t>(r);
      rows.push_back(row);
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

class BatchedJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("sluice-batched-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_ / "orders");
    WriteInputs();
  }
  void TearDown() override { stdfs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Three Parquet files of orders (with null customers and repeated ones) and a CSV file of
  // customers (some customers have no orders, some orders no customer).
  void WriteInputs() {
    std::mt19937_64 rng(7);
    for (int f = 0; f < 3; ++f) {
      std::vector<std::pair<std::optional<int64_t>, int64_t>> rows;
      for (int r = 0; r < 3000; ++r) {
        std::optional<int64_t> id;
        if (rng() % 40 != 0) id = static_cast<int64_t>(rng() % 500);
        rows.emplace_back(id, static_cast<int64_t>(rng() % 1000) - 100);
      }
      orders_[f] = rows;
      WriteOrders(f);
    }
    std::string csv = "customer_id,region\n";
    for (int id = 0; id < 520; id += 2)
      csv += std::to_string(id) + ",r" + std::to_string(id % 7) + "\n";
    fs::WriteWholeFile(*fs::LocalFileSystem(), Path("customers.csv"), csv);
  }
  void WriteOrders(int f) {
    parquet::WriteParquetFile(Path("orders/part-" + std::to_string(f) + ".parquet"), OrdersSchema(),
                              {MakeOrders(orders_[f])});
  }
  std::vector<BatchInput> Inputs() const {
    return {BatchInput::Parquet("orders", {Path("orders")}),
            BatchInput::Csv("customers", {Path("customers.csv")})};
  }
  // The task over everything at once.
  std::vector<Row> Unchunked() const {
    ChunkInputs all;
    all.chunks = 1;
    for (const BatchInput& in : Inputs()) {
      auto scan = OpenBatchInput(in);
      std::vector<RecordBatch> batches;
      for (const ScanUnit& u : scan->units()) {
        for (RecordBatch& b : scan->Read(u)) batches.push_back(std::move(b));
      }
      all.tables.emplace(in.name, ChunkTable(scan->schema(), std::move(batches)));
    }
    return Rows(PerCustomerSums(all).batches);
  }
  static std::vector<Row> Output(const std::string& out) {
    auto scan = batch::OpenBatchOutput(out);
    std::vector<RecordBatch> batches;
    for (const ScanUnit& u : scan->units()) {
      for (RecordBatch& b : scan->Read(u)) batches.push_back(std::move(b));
    }
    return Rows(batches);
  }
  static BatchedOptions Options(int chunks) {
    BatchedOptions o;
    o.by = {"customer_id"};
    o.chunks = chunks;
    o.name = "sums";
    o.retry_delay = std::chrono::milliseconds(10);
    return o;
  }
  static std::map<std::string, int> Counts(const BatchedReport& r) {
    std::map<std::string, int> counts;
    for (const ChunkOutcome& o : r.chunks) ++counts[std::string(ChunkStatusName(o.status))];
    return counts;
  }
  // The chunk a customer id's rows go to.
  static int ChunkOf(std::optional<int64_t> id, int chunks) {
    RecordBatch b = MakeOrders({{id, 0}});
    std::vector<uint32_t> out;
    const int column = 0;
    batch::AssignChunks(b, std::span<const int>(&column, 1), chunks, &out);
    return static_cast<int>(out[0]);
  }

  stdfs::path dir_;
  std::map<int, std::vector<std::pair<std::optional<int64_t>, int64_t>>> orders_;
};

TEST_F(BatchedJobTest, ChunkedOutputEqualsTheUnchunkedTask) {
  const std::vector<Row> expected = Unchunked();
  ASSERT_GT(expected.size(), 400u);
  for (int chunks : {1, 7, 64}) {
    const std::string out = Path("out-" + std::to_string(chunks));
    BatchedReport report =
        Batched(PerCustomerSums, Options(chunks)).Run(Inputs(), out, {.memory_budget = 64_MiB});
    EXPECT_EQ(report.chunks.size(), static_cast<size_t>(chunks));
    EXPECT_EQ(report.misses, chunks);
    EXPECT_EQ(report.rows_in, 9000 + 260);
    EXPECT_EQ(Output(out), expected) << chunks << " chunks";
    // Each chunk holds only its own customers.
    auto manifest = batch::ReadBatchManifest(out);
    ASSERT_TRUE(manifest);
    EXPECT_EQ(manifest->rows, static_cast<int64_t>(expected.size()));
    for (const batch::ManifestChunk& c : manifest->chunks) {
      if (c.file.empty()) continue;
      auto reader = parquet::ParquetFileReader::Open(out + "/" + c.file);
      for (const RecordBatch& b : reader->ReadAll()) {
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          std::optional<int64_t> id;
          if (!b.column(0).IsNull(r)) id = b.column(0).Value<int64_t>(r);
          EXPECT_EQ(ChunkOf(id, chunks), c.chunk);
        }
      }
    }
  }
}

// An output directory that cannot be made is an I/O error naming it, not an internal one.
TEST_F(BatchedJobTest, AnOutputDirectoryThatCannotBeMadeIsAnIoError) {
  fs::WriteWholeFile(*fs::LocalFileSystem(), Path("plain-file"), "not a directory");
  auto job = Batched(PerCustomerSums, Options(4));
  try {
    job.Run(Inputs(), Path("plain-file") + "/out");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo) << e.what();
    EXPECT_NE(e.ContextValue("file").find("plain-file"), std::string::npos) << e.what();
  }
}

TEST_F(BatchedJobTest, CacheHitsAndInvalidationsAreExactlyAsSpecified) {
  const std::string out = Path("out");
  auto job = Batched(PerCustomerSums, Options(16));
  BatchedReport first = job.Run(Inputs(), out);
  EXPECT_EQ(Counts(first), (std::map<std::string, int>{{"miss", 16}}));
  for (const ChunkOutcome& o : first.chunks) EXPECT_EQ(o.reason, "no earlier output");

  BatchedReport again = job.Run(Inputs(), out);
  EXPECT_EQ(Counts(again), (std::map<std::string, int>{{"hit", 16}}));
  EXPECT_TRUE(again.ledger_job.empty());
  for (const ChunkOutcome& o : again.chunks) EXPECT_EQ(o.reason, "unchanged since the last run");

  // One order's amount changes: only its customer's chunk is recomputed.
  size_t row = 0;
  while (!orders_[1][row].first) ++row;
  const int changed = ChunkOf(orders_[1][row].first, 16);
  orders_[1][row].second += 1;
  WriteOrders(1);
  BatchedReport edited = job.Run(Inputs(), out);
  EXPECT_EQ(Counts(edited), (std::map<std::string, int>{{"hit", 15}, {"recomputed", 1}}));
  EXPECT_EQ(edited.chunks[static_cast<size_t>(changed)].status, ChunkStatus::kRecomputed);
  EXPECT_EQ(edited.chunks[static_cast<size_t>(changed)].reason, "input orders changed");
  EXPECT_EQ(Output(out), Unchunked());

  // Rewriting the same rows in another order changes no fingerprint.
  std::reverse(orders_[2].begin(), orders_[2].end());
  WriteOrders(2);
  EXPECT_EQ(Counts(job.Run(Inputs(), out)), (std::map<std::string, int>{{"hit", 16}}));

  // A customer moves to another region: the customers input changes for one chunk.
  std::string csv = fs::ReadWholeFile(*fs::LocalFileSystem(), Path("customers.csv"));
  csv.replace(csv.find("\n10,r3\n"), 7, "\n10,zz\n");
  fs::WriteWholeFile(*fs::LocalFileSystem(), Path("customers.csv"), csv);
  BatchedReport region = job.Run(Inputs(), out);
  EXPECT_EQ(Counts(region), (std::map<std::string, int>{{"hit", 15}, {"recomputed", 1}}));
  EXPECT_EQ(region.chunks[static_cast<size_t>(ChunkOf(10, 16))].reason, "input customers changed");

  // A new task version, then another N: everything is recomputed, saying why.
  BatchedOptions v2 = Options(16);
  v2.version = "2";
  BatchedReport version = Batched(PerCustomerSums, v2).Run(Inputs(), out);
  EXPECT_EQ(Counts(version), (std::map<std::string, int>{{"recomputed", 16}}));
  EXPECT_EQ(version.chunks[0].reason, "task version changed: 1 -> 2");
  BatchedOptions n8 = v2;
  n8.chunks = 8;
  BatchedReport rechunked = Batched(PerCustomerSums, n8).Run(Inputs(), out);
  EXPECT_EQ(Counts(rechunked), (std::map<std::string, int>{{"recomputed", 8}}));
  EXPECT_EQ(rechunked.chunks[0].reason,
            "chunking changed: by customer_id into 16 chunks (xxh64-rows-v1) -> by customer_id "
            "into 8 chunks (xxh64-rows-v1)");
  EXPECT_EQ(Output(out), Unchunked());
  // Chunk files of the 16-chunk run are gone; the cache holds only the 8 current entries.
  int parquet_files = 0;
  for (const auto& e : stdfs::directory_iterator(out)) {
    parquet_files += e.path().extension() == ".parquet";
  }
  EXPECT_EQ(parquet_files, 8);
  int cache_entries = 0;
  for (const auto& e : stdfs::directory_iterator(out + "/.sluice/cache")) {
    cache_entries += e.path().extension() == ".json";
  }
  EXPECT_EQ(cache_entries, 8);
  // Back to 16 chunks with version 2: nothing is cached for it any more.
  EXPECT_EQ(Counts(Batched(PerCustomerSums, v2).Run(Inputs(), out)),
            (std::map<std::string, int>{{"recomputed", 16}}));
  // The report is on disk too.
  auto report_json = nlohmann::json::parse(
      fs::ReadWholeFile(*fs::LocalFileSystem(), out + "/.sluice/last_report.json"));
  EXPECT_EQ(report_json["counts"]["recomputed"], 16);
  EXPECT_EQ(report_json["chunks"][3]["status"], "recomputed");
}

TEST_F(BatchedJobTest, UnchangedParquetInputsAreNotReadAgain) {
  const std::string out = Path("out");
  auto per_customer = [](const ChunkInputs& in) {
    ChunkInputs with_customers = in;
    with_customers.tables.emplace("customers", ChunkTable());
    return PerCustomerSums(with_customers);
  };
  const std::vector<BatchInput> orders = {BatchInput::Parquet("orders", {Path("orders")})};
  auto job = Batched(per_customer, Options(8));
  EXPECT_FALSE(job.Run(orders, out).split_skipped);
  BatchedReport again = job.Run(orders, out);
  EXPECT_TRUE(again.split_skipped);
  EXPECT_EQ(Counts(again), (std::map<std::string, int>{{"hit", 8}}));
  EXPECT_EQ(again.rows_in, 9000);
  // Same content, new modification time: read again, and still every chunk hits.
  WriteOrders(0);
  BatchedReport touched = job.Run(orders, out);
  EXPECT_FALSE(touched.split_skipped);
  EXPECT_EQ(Counts(touched), (std::map<std::string, int>{{"hit", 8}}));
  EXPECT_TRUE(job.Run(orders, out).split_skipped);
  // A cache entry lost: the inputs are read and that chunk alone is computed.
  stdfs::remove(out + "/.sluice/cache/" + touched.chunks[4].key + ".json");
  BatchedReport lost = job.Run(orders, out);
  EXPECT_FALSE(lost.split_skipped);
  EXPECT_EQ(Counts(lost), (std::map<std::string, int>{{"hit", 7}, {"miss", 1}}));
  EXPECT_EQ(lost.chunks[4].reason, "cached output missing");
  // Opting out reads every run.
  BatchedOptions always = Options(8);
  always.reuse_unchanged_inputs = false;
  EXPECT_FALSE(Batched(per_customer, always).Run(orders, out).split_skipped);
}

// A re-run publishes again only what is not in place: a deleted chunk file comes back, a chunk
// file the manifest does not list is removed, and the output reads as before.
TEST_F(BatchedJobTest, ReRunsRestoreMissingChunkFilesAndRemoveStrayOnes) {
  const std::string out = Path("out");
  auto job = Batched(PerCustomerSums, Options(4));
  job.Run(Inputs(), out);
  // A file in place is left alone: not even linked again (which would change its ctime).
  auto changed_at = [&](const std::string& name) {
    struct stat st {};
    EXPECT_EQ(::stat((out + "/" + name).c_str(), &st), 0) << name;
    return std::pair(st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  };
  const auto before = changed_at("chunk-00002.parquet");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Counts(job.Run(Inputs(), out)), (std::map<std::string, int>{{"hit", 4}}));
  EXPECT_EQ(changed_at("chunk-00002.parquet"), before);
  stdfs::remove(out + "/chunk-00001.parquet");
  stdfs::copy_file(out + "/chunk-00000.parquet", out + "/chunk-00009.parquet");
  BatchedReport again = job.Run(Inputs(), out);
  EXPECT_EQ(Counts(again), (std::map<std::string, int>{{"hit", 4}}));
  EXPECT_TRUE(stdfs::exists(out + "/chunk-00001.parquet"));
  EXPECT_FALSE(stdfs::exists(out + "/chunk-00009.parquet"));
  EXPECT_EQ(Output(out), Unchunked());
  EXPECT_EQ(batch::CheckBatchOutput(out).manifest.files().size(), 4u);
}

TEST(BatchStateDirTest, LocalOutputsHoldTheirStateAndS3OnesGetOneUnderTheWorkingDirectory) {
  BatchedOptions options;
  EXPECT_EQ(BatchStateDir(options, "/data/out/"), stdfs::path("/data/out/.sluice"));
  const stdfs::path s3 = BatchStateDir(options, "s3://bucket/out/");
  EXPECT_EQ(s3, BatchStateDir(options, "s3://bucket/out"));
  EXPECT_NE(s3, BatchStateDir(options, "s3://bucket/other"));
  EXPECT_EQ(s3.parent_path(), stdfs::absolute(".sluice"));
  EXPECT_TRUE(s3.filename().string().starts_with("batch-")) << s3;
  options.state_dir = "elsewhere";
  EXPECT_EQ(BatchStateDir(options, "s3://bucket/out"), stdfs::absolute("elsewhere"));
}

TEST_F(BatchedJobTest, AnInterruptedRunResumesWithOnlyTheMissingChunks) {
  const std::string out = Path("out");
  CancellationSource cancel;
  std::atomic<int> done{0};
  auto slow = [&](const ChunkInputs& in) {
    if (done.fetch_add(1) >= 5) {
      cancel.Cancel("test interrupt");
      throw Cancelled("interrupted");
    }
    return PerCustomerSums(in);
  };
  BatchedOptions options = Options(12);
  options.chunks_in_flight = 1;
  EXPECT_THROW(
      Batched(slow, options).Run(Inputs(), out, {.cpu_threads = 1, .cancel = cancel.token()}),
      Error);
  EXPECT_FALSE(stdfs::exists(out + "/manifest.json"));
  std::atomic<int> computed{0};
  auto counting = [&](const ChunkInputs& in) {
    ++computed;
    return PerCustomerSums(in);
  };
  BatchedReport resumed = Batched(counting, options).Run(Inputs(), out);
  EXPECT_EQ(Counts(resumed), (std::map<std::string, int>{{"hit", 5}, {"miss", 7}}));
  EXPECT_EQ(computed.load(), 7);
  for (const ChunkOutcome& o : resumed.chunks) {
    if (o.status == ChunkStatus::kHit) {
      EXPECT_EQ(o.reason, "computed by an earlier run that did not finish");
    }
  }
  EXPECT_EQ(Output(out), Unchunked());
}

// A run killed by SIGKILL after a chunk's output reached the cache but before the ledger marked
// its partition done: the resumed run serves that chunk from the cache, computes it no more, and
// reports no attempt for it. The kill is reproduced exactly: after a full run, the ledger and
// cache are set back to what the killed run leaves (the job of the same keys, two partitions
// claimed by a process that is gone, only their outputs in the cache, no manifest).
TEST_F(BatchedJobTest, AChunkCachedButNotMarkedDoneIsServedFromTheCache) {
  const std::string out = Path("out");
  const std::string state = out + "/.sluice";
  const BatchedReport full = Batched(PerCustomerSums, Options(4)).Run(Inputs(), out);
  ASSERT_FALSE(full.ledger_job.empty());

  stdfs::remove(out + "/manifest.json");
  for (const char* suffix : {"", "-wal", "-shm"}) stdfs::remove(state + "/ledger.db" + suffix);
  std::set<std::string> cached_keys;
  {
    auto ledger = ledger::OpenLedger(state + "/ledger.db");
    const ledger::JobRecord job = ledger->CreateJob(full.ledger_job);
    std::vector<ledger::PartitionSpec> specs;
    for (const ChunkOutcome& o : full.chunks) {
      specs.push_back({fmt::format("chunk-{:05d}", o.chunk),
                       nlohmann::json{{"chunk", o.chunk}, {"key", o.key}}.dump(), 3});
    }
    ledger->AddPartitions(job.id, specs);
    ledger->SealJob(job.id);
    // The owner of the leases: a process of this host that has exited.
    const pid_t gone = fork();
    ASSERT_GE(gone, 0);
    if (gone == 0) _exit(0);
    ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    const std::vector<ledger::Lease> leases =
        ledger->Claim(job.id, {.owner = fmt::format("{}:{}", host, gone), .max_partitions = 2});
    ASSERT_EQ(leases.size(), 2u);
    for (const ledger::Lease& lease : leases) {
      cached_keys.insert(nlohmann::json::parse(lease.definition_json).at("key"));
    }
  }
  batch::ChunkCache(state + "/cache").Prune(cached_keys);

  std::atomic<int> computed{0};
  auto counting = [&](const ChunkInputs& in) {
    ++computed;
    return PerCustomerSums(in);
  };
  const BatchedReport resumed = Batched(counting, Options(4)).Run(Inputs(), out);
  EXPECT_EQ(resumed.ledger_job, full.ledger_job);
  EXPECT_EQ(Counts(resumed), (std::map<std::string, int>{{"hit", 2}, {"miss", 2}}));
  EXPECT_EQ(computed.load(), 2);
  for (const ChunkOutcome& o : resumed.chunks) {
    if (cached_keys.contains(o.key)) {
      EXPECT_EQ(o.status, ChunkStatus::kHit) << o.chunk;
      EXPECT_EQ(o.reason, "computed by an earlier run that did not finish") << o.chunk;
      EXPECT_EQ(o.attempts, 0) << o.chunk;
    } else {
      EXPECT_EQ(o.status, ChunkStatus::kMiss) << o.chunk;
      EXPECT_EQ(o.attempts, 1) << o.chunk;
    }
  }
  EXPECT_EQ(Output(out), Unchunked());
  // Every partition of the job ended done.
  auto ledger = ledger::OpenLedger(state + "/ledger.db");
  const std::optional<ledger::JobRecord> job = ledger->FindJob(full.ledger_job);
  ASSERT_TRUE(job);
  for (const ledger::PartitionRecord& p : ledger->ListPartitions(job->id)) {
    EXPECT_EQ(p.status, ledger::PartitionStatus::kDone) << p.key;
  }
}

TEST_F(BatchedJobTest, FailedChunksAreRetriedThenReportedByName) {
  const std::string out = Path("out");
  std::atomic<int> chunk3_attempts{0};
  auto flaky = [&](const ChunkInputs& in) {
    if (in.chunk == 3 && chunk3_attempts.fetch_add(1) == 0) throw IoError("transient failure");
    return PerCustomerSums(in);
  };
  BatchedReport report = Batched(flaky, Options(8)).Run(Inputs(), out);
  EXPECT_EQ(report.chunks[3].attempts, 2);
  EXPECT_EQ(report.misses, 8);

  auto broken = [&](const ChunkInputs& in) -> ChunkTable {
    if (in.chunk == 5) throw InvalidData("bad customer");
    return PerCustomerSums(in);
  };
  BatchedOptions options = Options(8);
  options.version = "broken";
  options.max_attempts = 2;
  try {
    Batched(broken, options).Run(Inputs(), out);
    FAIL() << "a chunk failing every attempt must fail the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 of 8 chunks failed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("chunk 5: invalid data: bad customer"), std::string::npos)
        << e.what();
  }
  // The previous output is intact, and the report names the failure.
  EXPECT_EQ(batch::ReadBatchManifest(out)->task_version, "1");
  EXPECT_EQ(Output(out), Unchunked());
  auto report_json = nlohmann::json::parse(
      fs::ReadWholeFile(*fs::LocalFileSystem(), out + "/.sluice/last_report.json"));
  EXPECT_EQ(report_json["chunks"][5]["status"], "failed");
  EXPECT_EQ(report_json["chunks"][5]["attempts"], 2);
}

TEST_F(BatchedJobTest, ErrorsNameTheInputColumnAndChunk) {
  const std::string out = Path("out");
  BatchedOptions options = Options(4);
  options.by = {"customer"};
  try {
    Batched(PerCustomerSums, options).Run(Inputs(), out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("input 'orders' has no grouping column 'customer'; its "
                                         "columns are customer_id, amount"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(stdfs::exists(out));

  csv::CsvReadOptions as_text;
  as_text.column_types.emplace("customer_id", DataType::String());
  std::vector<BatchInput> mismatched = {
      BatchInput::Parquet("orders", {Path("orders")}),
      BatchInput::Csv("customers", {Path("customers.csv")}, as_text)};
  try {
    Batched(PerCustomerSums, Options(4)).Run(mismatched, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("grouping column 'customer_id' is int64 in input "
                                         "'orders' but string in input 'customers'"),
              std::string::npos)
        << e.what();
  }

  auto inconsistent = [](const ChunkInputs& in) -> ChunkTable {
    ChunkTable t = PerCustomerSums(in);
    if (in.chunk != 2) return t;
    auto schema = std::make_shared<const Schema>(
        std::vector<Field>{{"customer_id", DataType::Int64(), true}});
    std::vector<RecordBatch> batches;
    for (const RecordBatch& b : t.batches)
      batches.push_back(RecordBatch::Make(schema, {b.column(0)}));
    return ChunkTable(schema, batches);
  };
  options = Options(4);
  options.max_attempts = 1;
  options.chunks_in_flight = 1;
  try {
    Batched(inconsistent, options).Run(Inputs(), out, {.cpu_threads = 1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the task returned a schema for chunk 2 that differs "
                                         "from chunk"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(BatchedJobTest, FileTasksAndInMemoryInputs) {
  // A file task that copies its orders file: the output is the orders themselves.
  auto copy = [](const ChunkFiles& files) {
    auto reader = parquet::ParquetFileReader::Open(files.inputs.at("orders"));
    parquet::WriteParquetFile(files.output, reader->ReadSchema(), reader->ReadAll());
  };
  std::vector<RecordBatch> all;
  for (const auto& [f, rows] : orders_) all.push_back(MakeOrders(rows));
  const std::string out = Path("out");
  BatchedReport report =
      BatchedFiles(copy, Options(5)).Run({BatchInput::Batches("orders", OrdersSchema(), all)}, out);
  EXPECT_EQ(report.rows_out, 9000);
  EXPECT_EQ(batch::OpenBatchOutput(out)->num_rows(), 9000);
  EXPECT_EQ(Counts(BatchedFiles(copy, Options(5))
                       .Run({BatchInput::Batches("orders", OrdersSchema(), all)}, out)),
            (std::map<std::string, int>{{"hit", 5}}));
  // A task that writes nothing fails its chunk with the reason.
  BatchedOptions options = Options(2);
  options.max_attempts = 1;
  options.version = "2";
  try {
    BatchedFiles([](const ChunkFiles&) {}, options)
        .Run({BatchInput::Batches("orders", OrdersSchema(), all)}, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the task wrote no output file"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sluice
