#include "sluice/ops/group_by.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "sluice/base/check.h"
#include "sluice/base/cores.h"
#include "sluice/flow/pipeline.h"
#include "sluice/ops/group_by_merge.h"
#include "sluice/ops/group_by_partial.h"
#include "sluice/ops/partition_coalescing.h"
#include "sluice/ops/scan_stages.h"

namespace sluice {
namespace {

constexpr int64_t kRowsPerPartition = 500'000;
constexpr int64_t kMinPipelineBytes = 8 << 20;

using Partials = std::vector<std::shared_ptr<GroupByPartial>>;

// Spill fan-out: enough partitions that one holds about a quarter of the merge budget when the
// whole input spills.
int SpillPartitions(const TableScan& scan, int64_t merge_budget, int cores) {
  const int64_t per_partition = std::max<int64_t>(merge_budget / (4 * cores), 64 << 10);
  const int64_t wanted = std::max<int64_t>(scan.data_bytes() / per_partition, 16);
  int partitions = 16;
  while (partitions < wanted && partitions < 1024) partitions *= 2;
  return partitions;
}

// Part of a skewed task's spilled rows: runs (partial, run) aggregated by one piece task.
struct Piece {
  int task = 0;
  std::vector<std::pair<int, int>> runs;
};
int64_t ByteSize(const Piece& p) { return static_cast<int64_t>(sizeof(Piece) + p.runs.size() * 8); }

struct PieceState {
  int task = 0;
  std::shared_ptr<HashAggregation> state;
};
int64_t ByteSize(const PieceState& p) { return p.state->ByteSize(); }

}  // namespace

std::shared_ptr<const Schema> GroupByOutputSchema(const Schema& input, const GroupBySpec& spec) {
  return std::make_shared<const Schema>(HashAggregation(input, spec).output_schema());
}

std::vector<std::string> DictionaryKeyColumns(const GroupBySpec& spec) {
  if (spec.keys.size() > 3) return {};
  std::vector<std::string> keys;
  for (const std::string& key : spec.keys) {
    const bool read =
        std::any_of(spec.aggregates.begin(), spec.aggregates.end(), [&](const auto& a) {
          return std::find(a.columns.begin(), a.columns.end(), key) != a.columns.end();
        });
    if (!read) keys.push_back(key);
  }
  return keys;
}

GroupByResult RunGroupBy(const TableScan& scan, const GroupBySpec& spec,
                         const GroupByOptions& options) {
  std::vector<RecordBatch> batches;
  // The sink is called one batch at a time.
  GroupByResult result = RunGroupBy(scan, spec, options,
                                    [&batches](RecordBatch b) { batches.push_back(std::move(b)); });
  result.batches = std::move(batches);
  return result;
}

GroupByResult RunGroupBy(const TableScan& scan, const GroupBySpec& spec,
                         const GroupByOptions& options, const GroupBySink& sink) {
  SLUICE_CHECK_GT(options.output_batch_rows, 0);
  GroupByResult result;
  const HashAggregation prototype(*scan.schema(), spec);
  result.schema = std::make_shared<const Schema>(prototype.output_schema());
  const int cores = options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores();
  result.memory_budget = options.run.memory_budget;
  RunOptions pipeline_run = options.run;
  // The caller writes one report of the whole group-by (group_by_report.h).
  pipeline_run.report_path.clear();
  const int64_t budget = options.run.memory_budget;
  pipeline_run.memory_budget = std::max(budget / 4, std::min(kMinPipelineBytes, budget / 2));
  // The skew pipeline's items are whole pre-aggregated states.
  RunOptions piece_run = pipeline_run;
  piece_run.memory_budget = budget;
  result.state_budget = budget - pipeline_run.memory_budget;
  const int64_t merge_budget = result.state_budget - result.state_budget / 2;
  GroupBySpill spill(*scan.schema(), spec, prototype, result.state_budget / 2,
                     SpillPartitions(scan, merge_budget, cores),
                     std::clamp<int64_t>(result.state_budget / (8 * cores), 64 << 10, 16 << 20),
                     options.partition_first_groups, options.spill_dir, cores);
  std::atomic<int64_t> rows{0};

  Pipeline scan_pipeline("groupby-scan");
  ReduceResult<Partials> partials =
      ScanStages(scan_pipeline, scan)
          .Reduce(
              "aggregate", Partials{},
              [&](Partials& mine, PositionedBatch in) {
                if (mine.empty())
                  mine.push_back(std::make_shared<GroupByPartial>(prototype, spill));
                mine[0]->Consume(in.batch, in.position);
                rows.fetch_add(in.batch.num_rows(), std::memory_order_relaxed);
              },
              [](Partials& all, Partials&& partial) {
                all.insert(all.end(), partial.begin(), partial.end());
              });
  result.scan_report = scan_pipeline.Run(pipeline_run);
  result.input_rows = rows.load();
  Partials sealed = partials.value();
  bool has_runs = false;  // rows passed on by partition, spilled or held in memory
  for (auto& p : sealed) {
    p->FinishInput();
    result.spilled_rows += p->spilled_rows();
    result.partitioned_rows += p->partitioned_rows();
    for (const auto& run : p->runs()) {
      result.spill_runs += run.run.path.empty() ? 0 : 1;
      result.spilled_file_bytes += run.run.file_bytes;
    }
    has_runs = has_runs || !p->runs().empty();
  }
  result.peak_partial_bytes = spill.budget().peak();

  // Partitions: sized from the rows actually read (a CSV scan knows them only now), and a
  // multiple of the spill fan-out when rows were passed on in runs.
  const int wanted = static_cast<int>(
      std::clamp<int64_t>(std::max<int64_t>(cores, result.input_rows / kRowsPerPartition),
                          options.min_partitions, options.max_partitions));
  const int spill_partitions = has_runs ? spill.partitions() : wanted;
  const int fine = has_runs ? (wanted + spill_partitions - 1) / spill_partitions : 1;
  result.partitions = spill_partitions * fine;
  result.spill_partitions = has_runs ? spill_partitions : 0;

  int64_t partial_groups = 0;
  double key_bytes = 16;  // of a group's encoded key, on average
  for (auto& p : sealed) {
    p->state().Seal(result.partitions);
    result.partial_state_bytes += p->state().ByteSize();
    partial_groups += p->state().num_groups();
    if (p->state().num_groups() > 0) key_bytes = p->state().average_key_bytes();
  }
  const double bytes_per_group =
      partial_groups > 0 ? static_cast<double>(result.partial_state_bytes) / partial_groups : 0;
  // A row passed on is a new group in the merge, except the rows of groups a partial had, which
  // it buffered once closed (state growing with values): those add about their own bytes.
  const double new_group_bytes =
      static_cast<double>(spill.run_prototype().EstimatedGroupBytes(key_bytes));

  // A closed partial buffered every row, of its groups or new: as many are new as were among
  // the rows the partials consumed (nearly all for a distinct of unique rows, none for q1).
  const int64_t consumed_rows = result.input_rows - result.spilled_rows - result.partitioned_rows;
  const double new_fraction =
      consumed_rows > 0
          ? std::min(1.0, static_cast<double>(partial_groups) / static_cast<double>(consumed_rows))
          : 1.0;

  // Measured sizes per spill partition drive coalescing and skew handling.
  const size_t n = static_cast<size_t>(spill_partitions);
  std::vector<int64_t> groups_of(n, 0), spilled_rows_of(n, 0), partitioned_rows_of(n, 0),
      run_bytes_of(n, 0), spilled_bytes_of(n, 0), estimate(n, 0);
  for (size_t s = 0; s < n; ++s) {
    for (const auto& p : sealed) {
      for (int f = 0; f < fine; ++f) {
        groups_of[s] += p->state().partition_groups(static_cast<int>(s) * fine + f);
      }
      const double closed = p->spilled_rows() > 0 ? static_cast<double>(p->closed_rows()) /
                                                        static_cast<double>(p->spilled_rows())
                                                  : 0;
      for (const auto& run : p->runs()) {
        const bool in_memory = run.run.path.empty();
        const int64_t rows_in = run.rows_of_partition[s];
        (in_memory ? partitioned_rows_of : spilled_rows_of)[s] += rows_in;
        if (!in_memory) spilled_bytes_of[s] += run.bytes_of_partition[s];
        run_bytes_of[s] += run.bytes_of_partition[s];
        const double share = in_memory ? 0 : closed;
        const double rows = static_cast<double>(rows_in);
        estimate[s] += static_cast<int64_t>(
            rows * (1 - share + share * new_fraction) * new_group_bytes +
            static_cast<double>(run.bytes_of_partition[s]) * share * (1 - new_fraction));
      }
    }
    estimate[s] += static_cast<int64_t>(static_cast<double>(groups_of[s]) * bytes_per_group);
  }
  const int64_t target =
      std::min(options.advisory_partition_bytes, std::max<int64_t>(merge_budget / cores, 64 << 10));
  std::vector<PartitionRange> ranges =
      CoalescePartitions(estimate, target, options.min_partitions, options.max_partitions);
  std::vector<bool> skewed_partition(n, false);
  if (has_runs) {
    for (int s :
         SkewedPartitions(run_bytes_of, options.skew_factor, options.skew_threshold_bytes)) {
      skewed_partition[static_cast<size_t>(s)] = true;
    }
  }

  std::vector<GroupByMergeTask> tasks(ranges.size());
  std::vector<Piece> pieces;
  result.tasks.resize(ranges.size());
  for (size_t t = 0; t < ranges.size(); ++t) {
    tasks[t].index = static_cast<int>(t);
    tasks[t].spill_range = ranges[t];
    GroupByPartitionStats& stats = result.tasks[t];
    stats.first = ranges[t].begin * fine;
    stats.end = ranges[t].end * fine;
    for (int s = ranges[t].begin; s < ranges[t].end; ++s) {
      const size_t i = static_cast<size_t>(s);
      stats.partial_groups += groups_of[i];
      stats.spilled_rows += spilled_rows_of[i];
      stats.spilled_bytes += spilled_bytes_of[i];
      stats.partitioned_rows += partitioned_rows_of[i];
      stats.run_bytes += run_bytes_of[i];
      stats.estimated_bytes += estimate[i];
      stats.skewed = stats.skewed || skewed_partition[i];
    }
    tasks[t].estimated_bytes = stats.estimated_bytes;
    tasks[t].new_groups =
        stats.partitioned_rows +
        static_cast<int64_t>(static_cast<double>(stats.spilled_rows) * new_fraction);
    if (!stats.skewed) continue;
    // Skew: the task's spilled runs are split among pieces that aggregate in parallel.
    std::vector<std::pair<int, int>> runs;
    for (size_t p = 0; p < sealed.size(); ++p) {
      for (size_t r = 0; r < sealed[p]->runs().size(); ++r) {
        if (!RunBlocksIn(sealed[p]->runs()[r], ranges[t].begin, ranges[t].end).empty()) {
          runs.emplace_back(static_cast<int>(p), static_cast<int>(r));
        }
      }
    }
    const int count = static_cast<int>(std::clamp<int64_t>(
        stats.spilled_bytes / std::max<int64_t>(target, 1) + 1, 2, 4 * int64_t{cores}));
    const size_t first_piece = pieces.size();
    for (int i = 0; i < count && i < static_cast<int>(runs.size()); ++i) {
      pieces.push_back(Piece{static_cast<int>(t), {}});
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      pieces[first_piece + i % (pieces.size() - first_piece)].runs.push_back(runs[i]);
    }
    stats.pieces = static_cast<int>(pieces.size() - first_piece);
  }

  const bool order_sensitive = prototype.order_sensitive();
  if (!pieces.empty()) {
    std::mutex mu;
    Pipeline piece_pipeline("groupby-skew");
    piece_pipeline.Source("pieces", pieces)
        .Map("pre-aggregate",
             [&](const Piece& piece) {
               auto state = std::shared_ptr<HashAggregation>(spill.run_prototype().NewEmpty());
               const PartitionRange range = tasks[static_cast<size_t>(piece.task)].spill_range;
               for (auto [p, r] : piece.runs) {
                 const GroupBySpillRun& run =
                     sealed[static_cast<size_t>(p)]->runs()[static_cast<size_t>(r)];
                 ForEachRunBatch(run, RunBlocksIn(run, range.begin, range.end), order_sensitive,
                                 [&](const RecordBatch& b, RowPositions at) {
                                   state->Consume(b, at);
                                   return true;
                                 });
               }
               state->Seal(1);
               return PieceState{piece.task, state};
             })
        .Sink("collect", [&](PieceState done) {
          std::lock_guard lock(mu);
          tasks[static_cast<size_t>(done.task)].pieces.push_back(std::move(done.state));
        });
    piece_pipeline.Run(piece_run);
  }

  // The merges' states share what the state budget has left beside the partials (which they
  // read until the end).
  GroupByMergeMemory merge_memory(
      std::max(result.state_budget - spill.budget().used(), result.state_budget / 4),
      options.run.cancel);
  GroupByMergeInputs merge_inputs;
  merge_inputs.partials = &sealed;
  merge_inputs.spill_partitions = spill_partitions;
  merge_inputs.fine = fine;
  merge_inputs.run_prototype = &spill.run_prototype();
  merge_inputs.order_sensitive = order_sensitive;
  merge_inputs.output_batch_rows = options.output_batch_rows;
  merge_inputs.concurrent_tasks =
      static_cast<int>(std::min(static_cast<size_t>(cores), tasks.size()));
  Pipeline merge_pipeline("groupby-merge");
  merge_pipeline.Source("partitions", std::move(tasks))
      .FlatMap("merge",
               [&](GroupByMergeTask task, Emitter<RecordBatch>& out) {
                 const GroupByMergeOutcome outcome = RunGroupByMerge(
                     merge_inputs, task, merge_memory,
                     [&out](const std::function<bool()>& wait) { return out.AwaitInput(wait); },
                     [&out](RecordBatch groups) { out.Emit(std::move(groups)); });
                 GroupByPartitionStats& stats = result.tasks[static_cast<size_t>(task.index)];
                 stats.state_bytes = outcome.state_bytes;
                 stats.groups = outcome.groups;
                 stats.passes = outcome.passes;
                 stats.splits = outcome.splits;
               })
      // One batch at a time: the sink need not be thread-safe.
      .Sink("output", [&sink](RecordBatch groups) { sink(std::move(groups)); },
            {.min_concurrency = 1, .max_concurrency = 1});
  // Its items in flight are output batches (the states it builds are accounted apart).
  result.merge_report = merge_pipeline.Run(pipeline_run);
  result.merge_state_budget = merge_memory.limit();
  result.merge_waits = merge_memory.waits();
  result.state_overdraft_bytes =
      std::max<int64_t>(0, result.peak_partial_bytes - spill.budget().limit()) +
      std::max<int64_t>(0, merge_memory.peak() - merge_memory.limit());
  for (const GroupByPartitionStats& t : result.tasks) {
    result.max_merge_state_bytes = std::max(result.max_merge_state_bytes, t.state_bytes);
    result.merge_splits += t.splits;
  }
  for (const GroupByPartitionStats& t : result.tasks) result.groups += t.groups;
  return result;
}

}  // namespace sluice
