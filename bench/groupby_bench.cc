// The db-benchmark group-by queries on sluice: loads a Parquet file of the G1 table into memory
// (not timed), then runs each query with RunGroupBy and prints one line per query:
// "q<N> <seconds> <groups> (...)". bench/groupby_vs_duckdb.mjs runs DuckDB on the same file and
// prints the ratios. MEMORY is the budget (default 4GiB) or "quarter" for a quarter of the
// table's size in memory, where the group-by must spill.
// Usage: sluice_groupby_bench FILE [THREADS] [RUNS] [QUERY] [MEMORY]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/ops/group_by.h"
#include "sluice/ops/sort/top_n.h"

namespace {

struct Query {
  const char* name;
  std::vector<std::string> keys;
  const char* aggregates;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} FILE [THREADS] [RUNS] [QUERY] [MEMORY]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 2;
  const std::string only = argc > 4 && std::string(argv[4]) != "all" ? argv[4] : "";
  const std::string memory = argc > 5 ? argv[5] : "4GiB";
  auto file = sluice::TableScan::Open({argv[1]});
  std::vector<sluice::RecordBatch> batches;
  for (const sluice::ScanUnit& u : file->units()) {
    for (sluice::RecordBatch& b : file->Read(u)) batches.push_back(std::move(b));
  }
  int64_t data_bytes = 0;
  for (const sluice::RecordBatch& b : batches) data_bytes += sluice::ByteSize(b);
  const int64_t budget = memory == "quarter" ? data_bytes / 4 : sluice::ParseBytes(memory);
  auto table = sluice::TableScan::FromBatches(file->schema(), std::move(batches));
  // q7 and q9 finish with a per-group expression (max - min, corr squared) over the aggregates;
  // that last step is one pass over the groups and is left out. q8 (top two v3 per id6) is the
  // top-N operator.
  const std::vector<Query> queries = {
      {"q1", {"id1"}, "sum(v1)"},
      {"q2", {"id1", "id2"}, "sum(v1)"},
      {"q3", {"id3"}, "sum(v1), mean(v3)"},
      {"q4", {"id4"}, "mean(v1), mean(v2), mean(v3)"},
      {"q5", {"id6"}, "sum(v1), sum(v2), sum(v3)"},
      {"q6", {"id4", "id5"}, "median(v3), stddev(v3)"},
      {"q7", {"id3"}, "max(v1), min(v2)"},
      {"q8", {"id6"}, ""},
      {"q9", {"id2", "id4"}, "corr(v1, v2)"},
      {"q10", {"id1", "id2", "id3", "id4", "id5", "id6"}, "sum(v3), count(*)"},
  };
  for (const Query& q : queries) {
    if (!only.empty() && only != q.name) continue;
    sluice::GroupBySpec spec;
    spec.keys = q.keys;
    if (*q.aggregates != 0) spec.aggregates = sluice::ParseAggregateCalls(q.aggregates);
    sluice::GroupByOptions options;
    options.run.cpu_threads = threads;
    options.run.memory_budget = budget;
    options.run.progress = sluice::ProgressMode::kOff;
    double best = std::numeric_limits<double>::infinity();
    int64_t groups = 0;
    double scan_seconds = 0;
    double merge_seconds = 0;
    int64_t spilled = 0;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      if (std::string(q.name) == "q8") {
        sluice::TopNOptions top;
        top.groups = q.keys;
        top.order = {{"v3", true}};
        top.n = 2;
        top.columns = {"id6", "v3"};  // the query's SELECT list, as DuckDB computes it
        top.run = options.run;
        sluice::TopNResult result = sluice::TopNPerGroup(*table, top);
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        groups = result.output_rows;
        scan_seconds = result.scan_report.wall_seconds;
        merge_seconds = result.merge_report.wall_seconds;
        continue;
      }
      sluice::GroupByResult result = sluice::RunGroupBy(*table, spec, options);
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      groups = result.groups;
      scan_seconds = result.scan_report.wall_seconds;
      merge_seconds = result.merge_report.wall_seconds;
      spilled = result.spilled_rows;
    }
    fmt::print(
        "{} {:.4f} {} (last run: aggregate {:.3f} s, merge {:.3f} s, {} rows spilled; budget {} "
        "for {} of data)\n",
        q.name, best, groups, scan_seconds, merge_seconds, spilled, sluice::FormatBytes(budget),
        sluice::FormatBytes(data_bytes));
    std::fflush(stdout);
  }
  return 0;
}
