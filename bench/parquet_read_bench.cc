// Full decode of a Parquet file to record batches with our reader, one thread: prints the best
// wall and CPU time of N runs in seconds, for bench/parquet_vs_duckdb.mjs to compare.
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <string>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} FILE.parquet [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::stoi(argv[2]) : 3;
  double best = 1e9;
  double best_cpu = 1e9;
  int64_t rows = 0;
  try {
    for (int i = 0; i < runs; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = CpuSeconds();
      auto file = sluice::parquet::ParquetFileReader::Open(argv[1]);
      auto reader = file->ReadBatches();
      rows = 0;
      while (auto batch = reader->Next()) rows += batch->num_rows();
      best_cpu = std::min(best_cpu, CpuSeconds() - cpu_start);
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } catch (const sluice::Error& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  fmt::print("rows {}\ncpu_seconds {:.4f}\nseconds {:.4f}\n", rows, best_cpu, best);
  return 0;
}
