// Sort and top-N on sluice over the G1 table of the db-benchmark group-by (as
// bench/groupby_vs_duckdb.mjs generates it): loads a Parquet file into memory (not timed), then
// runs each query with SortTable or TopNPerGroup, best of RUNS, and prints one line per query:
// "<name> <seconds> <rows out> <spilled runs>". bench/sort_vs_duckdb.mjs runs DuckDB on the
// same file and prints the ratios. The sorted batches are kept (as DuckDB's ORDER BY into a
// table keeps its result), then dropped.
// Usage: sluice_sort_bench FILE [THREADS] [RUNS] [MEMORY] [QUERY]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/top_n.h"

namespace {

struct Query {
  const char* name;
  const char* by;
  int64_t top;
  std::vector<std::string> per;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} FILE [THREADS] [RUNS] [MEMORY] [QUERY]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 2;
  const int64_t memory = sluice::ParseBytes(argc > 4 ? argv[4] : "4GiB");
  const std::string only = argc > 5 ? argv[5] : "";
  auto file = sluice::TableScan::Open({argv[1]});
  std::vector<sluice::RecordBatch> batches;
  for (const sluice::ScanUnit& u : file->units()) {
    for (sluice::RecordBatch& b : file->Read(u)) batches.push_back(std::move(b));
  }
  auto table = sluice::TableScan::FromBatches(file->schema(), std::move(batches));
  const std::vector<Query> queries = {
      {"sort_id6", "id6", -1, {}},
      {"sort_v3_desc", "v3:desc", -1, {}},
      {"sort_id3", "id3", -1, {}},
      {"sort_id1_id4desc_v3", "id1,id4:desc,v3", -1, {}},
      {"top100_v3_desc", "v3:desc", 100, {}},
      {"q8_top2_v3_per_id6", "v3:desc", 2, {"id6"}},
  };
  for (const Query& q : queries) {
    if (!only.empty() && only != q.name) continue;
    double best = std::numeric_limits<double>::infinity();
    int64_t rows = 0;
    int spilled = 0;
    for (int r = 0; r < runs; ++r) {
      sluice::RunOptions run;
      run.cpu_threads = threads;
      run.memory_budget = memory;
      run.progress = sluice::ProgressMode::kOff;
      const auto start = std::chrono::steady_clock::now();
      if (!q.per.empty()) {
        sluice::TopNOptions options;
        options.groups = q.per;
        options.order = sluice::ParseSortKeys(q.by);
        options.n = q.top;
        options.run = run;
        rows = sluice::TopNPerGroup(*table, options).output_rows;
      } else {
        sluice::SortOptions options;
        options.keys = sluice::ParseSortKeys(q.by);
        options.limit = q.top;
        options.run = run;
        std::vector<sluice::RecordBatch> out;
        sluice::SortStats stats = sluice::SortTable(
            *table, options, [&](const sluice::RecordBatch& b) { out.push_back(b); });
        rows = stats.output_rows;
        spilled = stats.spilled_runs;
      }
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    fmt::print("{} {:.4f} {} {}\n", q.name, best, rows, spilled);
    std::fflush(stdout);
  }
  return 0;
}
