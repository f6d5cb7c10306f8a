// One hash join on sluice: loads two Parquet files into memory (not timed), joins them with
// RunHashJoin (output batches kept in memory, as DuckDB's CREATE TABLE AS keeps its result) and
// prints "<seconds, best of RUNS> <output rows> <strategy> <spilled bytes>".
// bench/join_vs_duckdb.mjs runs DuckDB on the same files and prints the ratios.
// Usage: sluice_join_bench LEFT RIGHT KEYS HOW MEMORY [THREADS] [RUNS]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/base/log.h"
#include "sluice/ops/join/hash_join.h"

namespace {

std::shared_ptr<sluice::TableScan> Load(const std::string& path) {
  auto file = sluice::TableScan::Open({path});
  std::vector<sluice::RecordBatch> batches;
  for (const sluice::ScanUnit& u : file->units()) {
    for (sluice::RecordBatch& b : file->Read(u)) batches.push_back(std::move(b));
  }
  return sluice::TableScan::FromBatches(file->schema(), std::move(batches));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    fmt::print(stderr, "usage: {} LEFT RIGHT KEYS HOW MEMORY [THREADS] [RUNS]\n", argv[0]);
    return 2;
  }
  sluice::SetLogLevel(sluice::LogLevel::kError);
  auto left = Load(argv[1]);
  auto right = Load(argv[2]);
  sluice::JoinSpec spec;
  std::stringstream keys(argv[3]);
  for (std::string key; std::getline(keys, key, ',');) spec.left_keys.push_back(key);
  spec.kind = sluice::ParseJoinKind(argv[4]);
  sluice::JoinOptions options;
  options.run.memory_budget = sluice::ParseBytes(argv[5]);
  options.run.cpu_threads = argc > 6 ? std::atoi(argv[6]) : 0;
  options.run.progress = sluice::ProgressMode::kOff;
  const int runs = argc > 7 ? std::atoi(argv[7]) : 3;
  std::vector<double> seconds;
  sluice::JoinResult last;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    last = sluice::RunHashJoin(*left, *right, spec, options);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  fmt::print("{:.4f} {} {} {}\n", seconds[seconds.size() / 2], last.output_rows, last.strategy,
             last.spilled_bytes);
  return 0;
}
