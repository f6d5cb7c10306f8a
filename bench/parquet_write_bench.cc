// Writing record batches to a Parquet file with our writer (default options: snappy, dictionary
// with fallback, v1 pages), one thread. The batches are the whole of an input Parquet file, read
// into memory before timing. Prints the best wall and CPU time of N runs and the file's size,
// for bench/parquet_vs_duckdb.mjs to compare with DuckDB's COPY ... TO. (Our writer fsyncs the
// file before renaming it into place; DuckDB's COPY does not fsync.)
//
// Usage: sluice_parquet_write_bench IN.parquet OUT.parquet [RUNS]
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <string>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: {} IN.parquet OUT.parquet [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 3 ? std::stoi(argv[3]) : 3;

  double best = 1e9;
  double best_cpu = 1e9;
  try {
    auto file = sluice::parquet::ParquetFileReader::Open(argv[1]);
    std::vector<sluice::RecordBatch> batches = file->ReadAll();
    auto schema = file->ReadSchema();
    for (int i = 0; i < runs; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = CpuSeconds();
      sluice::parquet::WriteParquetFile(argv[2], schema, batches);
      best_cpu = std::min(best_cpu, CpuSeconds() - cpu_start);
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } catch (const sluice::Error& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  struct stat st {};
  if (stat(argv[2], &st) != 0) return 1;
  fmt::print("bytes {}\ncpu_seconds {:.4f}\nseconds {:.4f}\n", st.st_size, best_cpu, best);
  return 0;
}
