// Peak memory of a batched task against the same task run once over the whole table.
//
// Generates orders (customer_id, amount, note) as Parquet files, then runs a per-customer sum
// task three ways, each in its own child process so peak RSS (wait4's ru_maxrss) is that run's
// alone: unchunked (every input batch in memory, one task call: what a user does today), batched
// with 1 chunk, and batched with --chunks chunks. Prints wall time and peak RSS of each, and the
// ratio chunked / unchunked. The outputs are checked to hold the same rows.
//
// Usage: sluice_batched_memory_bench [--rows 16000000] [--chunks 64] [--memory 64MiB]
//        [--threads 0] [--dir DIR]
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <unordered_map>

#include "sluice/base/bytes.h"
#include "sluice/base/heap_tuning.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/table/builder.h"

namespace {

namespace stdfs = std::filesystem;
using namespace sluice;

std::shared_ptr<const Schema> OrdersSchema() {
  return std::make_shared<const Schema>(
      std::vector<Field>{{"customer_id", DataType::Int64(), false},
                         {"amount", DataType::Int64(), false},
                         {"note", DataType::String(), false}});
}

void Generate(const stdfs::path& dir, int64_t rows) {
  stdfs::create_directories(dir);
  const int files = 8;
  const int64_t customers = std::max<int64_t>(1, rows / 20);
  for (int f = 0; f < files; ++f) {
    std::mt19937_64 rng(static_cast<uint64_t>(f) + 1);
    auto writer = parquet::ParquetWriter::Open((dir / fmt::format("part-{}.parquet", f)).string(),
                                               OrdersSchema());
    const int64_t file_rows = rows / files;
    for (int64_t done = 0; done < file_rows;) {
      const int64_t n = std::min<int64_t>(65536, file_rows - done);
      Int64Builder ids, amounts;
      StringBuilder notes;
      for (int64_t r = 0; r < n; ++r) {
        ids.Append(static_cast<int64_t>(rng() % static_cast<uint64_t>(customers)));
        amounts.Append(static_cast<int64_t>(rng() % 10000));
        notes.Append(fmt::format("order-{:012d}-{:04d}", done + r, f));
      }
      writer->Write(
          RecordBatch::Make(OrdersSchema(), {ids.Finish(), amounts.Finish(), notes.Finish()}));
      done += n;
    }
    writer->Close();
  }
}

ChunkTable Sums(const ChunkInputs& in) {
  std::unordered_map<int64_t, std::pair<int64_t, int64_t>> sums;
  for (const RecordBatch& b : in.at("orders").batches) {
    const Array& id = b.column(0);
    const Array& amount = b.column(1);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      auto& s = sums[id.Value<int64_t>(r)];
      s.first += amount.Value<int64_t>(r);
      ++s.second;
    }
  }
  auto schema =
      std::make_shared<const Schema>(std::vector<Field>{{"customer_id", DataType::Int64(), false},
                                                        {"total", DataType::Int64(), false},
                                                        {"orders", DataType::Int64(), false}});
  Int64Builder ids, totals, counts;
  for (const auto& [id, s] : sums) {
    ids.Append(id);
    totals.Append(s.first);
    counts.Append(s.second);
  }
  return ChunkTable(schema,
                    {RecordBatch::Make(schema, {ids.Finish(), totals.Finish(), counts.Finish()})});
}

struct Measured {
  double seconds = 0;
  int64_t peak_rss = 0;
};

// Runs this binary again with args (a fresh process: a forked child would start with the
// generator's resident pages); its peak RSS from wait4.
Measured InChild(const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("a run failed");
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          static_cast<int64_t>(usage.ru_maxrss) * 1024};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Peak memory of a batched task against the unchunked task");
  int64_t rows = 16'000'000;
  int chunks = 64;
  std::string memory = "64MiB";
  int threads = 0;
  std::string dir_flag;
  std::string child;  // internal: "unchunked" or "batched", run in a fresh process
  app.add_option("--rows", rows, "Rows of generated orders")->capture_default_str();
  app.add_option("--chunks", chunks, "Chunks of the batched run")->capture_default_str();
  app.add_option("--memory", memory, "Memory budget of the batched runs")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: all cores)");
  app.add_option("--dir", dir_flag, "Working directory (default: a temporary one)");
  app.add_option("--child", child, "Internal: run one measured configuration");
  CLI11_PARSE(app, argc, argv);
  if (!child.empty()) {
    // The heap as every sluice pipeline sets it (one arena, buffers reused): with glibc's
    // defaults the executor's many I/O threads each keep what they freed and RSS says more about
    // glibc than the task. The unchunked run may build no pipeline, so it is set here for all.
    sluice::TuneHeapForStreaming();
    const std::vector<BatchInput> inputs = {
        BatchInput::Parquet("orders", {(stdfs::path(dir_flag) / "orders").string()})};
    if (child == "unchunked") {
      ChunkInputs all;
      all.chunks = 1;
      auto scan = OpenBatchInput(inputs[0]);
      std::vector<RecordBatch> batches;
      for (const ScanUnit& u : scan->units()) {
        for (RecordBatch& b : scan->Read(u)) batches.push_back(std::move(b));
      }
      all.tables.emplace("orders", ChunkTable(scan->schema(), std::move(batches)));
      ChunkTable out = Sums(all);
      parquet::WriteParquetFile((stdfs::path(dir_flag) / "unchunked.parquet").string(), out.schema,
                                out.batches);
    } else {
      BatchedOptions options{.by = {"customer_id"}, .chunks = chunks, .name = "sums"};
      RunOptions run{.memory_budget = ParseBytes(memory), .cpu_threads = threads};
      Batched(Sums, options)
          .Run(inputs, (stdfs::path(dir_flag) / fmt::format("out-{}", chunks)).string(), run);
    }
    return 0;
  }
  const stdfs::path dir = dir_flag.empty() ? stdfs::temp_directory_path() /
                                                 fmt::format("sluice-batched-bench-{}", getpid())
                                           : stdfs::path(dir_flag);
  stdfs::remove_all(dir);
  const auto gen_start = std::chrono::steady_clock::now();
  Generate(dir / "orders", rows);
  fmt::print(
      "generated {} rows ({}) in {:.1f} s\n", rows,
      FormatBytes(static_cast<int64_t>(stdfs::file_size(dir / "orders" / "part-0.parquet")) * 8),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count());
  auto args = [&](const std::string& mode, int n) {
    return std::vector<std::string>{
        "--child",         mode,       "--dir", dir.string(), "--chunks",
        std::to_string(n), "--memory", memory,  "--threads",  std::to_string(threads)};
  };
  Measured unchunked = InChild(args("unchunked", 1));
  Measured one = InChild(args("batched", 1));
  Measured many = InChild(args("batched", chunks));

  const int64_t expected =
      parquet::ParquetFileReader::Open((dir / "unchunked.parquet").string())->num_rows();
  for (int n : {1, chunks}) {
    const int64_t got = batch::ReadBatchManifest((dir / fmt::format("out-{}", n)).string())->rows;
    if (got != expected) {
      fmt::print(stderr, "row count mismatch: {} chunks gave {}, unchunked {}\n", n, got, expected);
      return 1;
    }
  }
  fmt::print("unchunked task:        {:6.2f} s, peak RSS {}\n", unchunked.seconds,
             FormatBytes(unchunked.peak_rss));
  fmt::print("batched, 1 chunk:      {:6.2f} s, peak RSS {}\n", one.seconds,
             FormatBytes(one.peak_rss));
  fmt::print("batched, {} chunks:   {:6.2f} s, peak RSS {} (budget {})\n", chunks, many.seconds,
             FormatBytes(many.peak_rss), memory);
  fmt::print("peak memory ratio ({} chunks / unchunked): {:.3f}\n", chunks,
             static_cast<double>(many.peak_rss) / static_cast<double>(unchunked.peak_rss));
  stdfs::remove_all(dir);
  return 0;
}
