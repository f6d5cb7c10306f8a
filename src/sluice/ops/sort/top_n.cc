#include "sluice/ops/sort/top_n.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "sluice/base/cores.h"
#include "sluice/flow/pipeline.h"
#include "sluice/ops/scan_stages.h"
#include "sluice/ops/sort/top_n_table.h"

namespace sluice {
namespace {

constexpr int64_t kRowsPerPartition = 500'000;

using Tables = std::vector<std::shared_ptr<TopNTable>>;

}  // namespace

TopNResult TopNPerGroup(const TableScan& scan, const TopNOptions& options) {
  TopNResult result;
  // Resolves the columns (errors name them) before any work starts.
  TopNTable prototype(scan.schema(), options.groups, options.order, options.n, options.columns);
  result.schema = prototype.output_schema();
  std::atomic<int64_t> rows{0};
  RunOptions run = options.run;
  run.report_path.clear();

  Pipeline scan_pipeline("topn-scan");
  ReduceResult<Tables> partials =
      ScanStages(scan_pipeline, scan)
          .Reduce(
              "top-n", Tables{},
              [&](Tables& mine, PositionedBatch in) {
                if (mine.empty()) {
                  mine.push_back(std::make_shared<TopNTable>(
                      scan.schema(), options.groups, options.order, options.n, options.columns));
                }
                mine[0]->Consume(in.batch, in.position);
                rows.fetch_add(in.batch.num_rows(), std::memory_order_relaxed);
              },
              [](Tables& all, Tables&& partial) {
                all.insert(all.end(), partial.begin(), partial.end());
              });
  result.scan_report = scan_pipeline.Run(run);
  result.input_rows = rows.load();

  const Tables& tables = partials.value();
  for (const auto& t : tables) {
    result.candidate_rows += t->num_rows();
    result.state_bytes += t->ByteSize();
  }
  const int cores = options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores();
  result.partitions = static_cast<int>(
      std::clamp<int64_t>(std::max<int64_t>(cores, result.candidate_rows / kRowsPerPartition),
                          options.min_partitions, options.max_partitions));
  for (const auto& t : tables) t->Seal(result.partitions);

  std::vector<int> ids(static_cast<size_t>(result.partitions));
  for (int i = 0; i < result.partitions; ++i) ids[static_cast<size_t>(i)] = i;
  std::mutex mu;
  std::vector<std::pair<int, RecordBatch>> finished;  // guarded by mu
  std::atomic<int64_t> groups{0};
  Pipeline merge_pipeline("topn-merge");
  merge_pipeline.Source("partitions", std::move(ids))
      .Map("merge",
           [&](int partition) {
             TopNTable merged(scan.schema(), options.groups, options.order, options.n,
                              options.columns);
             int64_t incoming = 0;
             for (const auto& t : tables) incoming += t->partition_groups(partition);
             merged.Reserve(incoming);
             for (const auto& t : tables) merged.MergePartition(*t, partition);
             groups.fetch_add(merged.num_groups(), std::memory_order_relaxed);
             return std::make_pair(partition, merged.Finish());
           })
      .Sink("collect", [&](std::pair<int, RecordBatch> part) {
        std::lock_guard lock(mu);
        if (part.second.num_rows() > 0) finished.push_back(std::move(part));
      });
  result.merge_report = merge_pipeline.Run(run);
  result.groups = groups.load();
  std::sort(finished.begin(), finished.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [_, batch] : finished) {
    result.output_rows += batch.num_rows();
    result.batches.push_back(std::move(batch));
  }
  return result;
}

}  // namespace sluice
