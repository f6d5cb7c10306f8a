// Full decode of a Parquet file to record batches with our reader, one thread: prints the best
// wall time of N runs in seconds on the last line, for bench/parquet_vs_duckdb.mjs to compare.
#include <fmt/format.h>

#include <chrono>
#include <string>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} FILE.parquet [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::stoi(argv[2]) : 3;
  double best = 1e9;
  int64_t rows = 0;
  try {
    for (int i = 0; i < runs; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto file = sluice::parquet::ParquetFileReader::Open(argv[1]);
      auto reader = file->ReadBatches();
      rows = 0;
      while (auto batch = reader->Next()) rows += batch->num_rows();
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } catch (const sluice::Error& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  fmt::print("rows {}\nseconds {:.4f}\n", rows, best);
  return 0;
}
