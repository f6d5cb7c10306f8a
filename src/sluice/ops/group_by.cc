#include "sluice/ops/group_by.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "sluice/base/cores.h"
#include "sluice/flow/pipeline.h"

namespace sluice {
namespace {

constexpr int64_t kRowsPerPartition = 500'000;

// A batch with its stream position (first()/last() order by it).
struct PositionedBatch {
  RecordBatch batch;
  int64_t position;
};
int64_t ByteSize(const PositionedBatch& b) { return ByteSize(b.batch); }

using Partials = std::vector<std::shared_ptr<HashAggregation>>;

}  // namespace

GroupByResult RunGroupBy(const TableScan& scan, const GroupBySpec& spec,
                         const GroupByOptions& options) {
  GroupByResult result;
  const HashAggregation prototype(*scan.schema(), spec);
  result.schema = std::make_shared<const Schema>(prototype.output_schema());
  std::atomic<int64_t> rows{0};

  Pipeline scan_pipeline("groupby-scan");
  ReduceResult<Partials> partials =
      scan_pipeline.Source("row groups", scan.units())
          .FlatMap("read",
                   [&scan](const ScanUnit& unit, Emitter<ScanPiece>& out) {
                     scan.ReadPieces(unit, [&out](ScanPiece piece) { out.Emit(std::move(piece)); });
                   })
          .FlatMap("parse",
                   [&scan](ScanPiece piece, Emitter<PositionedBatch>& out) {
                     scan.Parse(piece, [&out](RecordBatch b, int64_t position) {
                       out.Emit(PositionedBatch{std::move(b), position});
                     });
                   })
          .Reduce(
              "aggregate", Partials{},
              [&prototype, &rows](Partials& mine, PositionedBatch in) {
                if (mine.empty()) mine.push_back(prototype.NewEmpty());
                mine[0]->Consume(in.batch, in.position);
                rows.fetch_add(in.batch.num_rows(), std::memory_order_relaxed);
              },
              [](Partials& all, Partials&& partial) {
                all.insert(all.end(), partial.begin(), partial.end());
              });
  result.scan_report = scan_pipeline.Run(options.run);
  result.input_rows = rows.load();
  // Sized from the rows actually read (a CSV scan knows them only now).
  const int cores = options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores();
  result.partitions = static_cast<int>(
      std::clamp<int64_t>(std::max<int64_t>(cores, result.input_rows / kRowsPerPartition),
                          options.min_partitions, options.max_partitions));

  Partials sealed = partials.value();
  for (auto& p : sealed) {
    p->Seal(result.partitions);
    result.partial_state_bytes += p->ByteSize();
  }
  std::atomic<int64_t> max_merge{0};
  std::vector<int> ids(static_cast<size_t>(result.partitions));
  for (int i = 0; i < result.partitions; ++i) ids[static_cast<size_t>(i)] = i;
  std::mutex mu;
  std::vector<std::pair<int, RecordBatch>> finished;  // guarded by mu
  Pipeline merge_pipeline("groupby-merge");
  merge_pipeline.Source("partitions", std::move(ids))
      .Map("merge",
           [&](int partition) {
             auto state = prototype.NewEmpty();
             int64_t upper_bound = 0;
             for (const auto& p : sealed) upper_bound += p->partition_groups(partition);
             state->Reserve(upper_bound);
             for (const auto& p : sealed) state->MergePartition(*p, partition);
             const int64_t bytes = state->ByteSize();
             int64_t seen = max_merge.load();
             while (bytes > seen && !max_merge.compare_exchange_weak(seen, bytes)) {
             }
             return std::make_pair(partition, state->Finish());
           })
      .Sink("collect", [&](std::pair<int, RecordBatch> part) {
        std::lock_guard lock(mu);
        if (part.second.num_rows() > 0) finished.push_back(std::move(part));
      });
  result.merge_report = merge_pipeline.Run(options.run);
  result.max_merge_state_bytes = max_merge.load();
  std::sort(finished.begin(), finished.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [_, batch] : finished) {
    result.groups += batch.num_rows();
    result.batches.push_back(std::move(batch));
  }
  return result;
}

}  // namespace sluice
