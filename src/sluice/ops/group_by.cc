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

// The phases of one group-by, in order; what one phase hands the next lives in the members.
class GroupByRun {
 public:
  GroupByRun(const TableScan& scan, const GroupBySpec& spec, const GroupByOptions& options)
      : scan_(scan),
        options_(options),
        cores_(options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores()),
        prototype_(*scan.schema(), spec),
        budgets_(SplitBudget(options.run)),
        spill_(*scan.schema(), spec, prototype_, budgets_.state / 2,
               SpillPartitions(scan, budgets_.merge, cores_),
               std::clamp<int64_t>(budgets_.state / (8 * cores_), 64 << 10, 16 << 20),
               options.partition_first_groups, options.spill_dir, cores_) {
    result_.schema = std::make_shared<const Schema>(prototype_.output_schema());
    result_.memory_budget = options.run.memory_budget;
    result_.state_budget = budgets_.state;
  }

  GroupByResult Run(const GroupBySink& sink) {
    AggregatePartials();
    SealPartials();
    if (FinishOnlyPartial(sink)) return std::move(result_);
    MeasurePartitions();
    PlanTasks();
    PreAggregatePieces();
    Merge(sink);
    return std::move(result_);
  }

 private:
  struct Budgets {
    RunOptions pipeline;  // the scan and merge pipelines' items in flight
    RunOptions pieces;    // the skew pipeline's items are whole pre-aggregated states
    int64_t state = 0;    // the partials' and merges' states
    int64_t merge = 0;    // the merges' share of it
  };
  // What one spill partition holds, measured after the scan.
  struct PartitionMeasures {
    std::vector<int64_t> groups, spilled_rows, partitioned_rows, run_bytes, spilled_bytes, estimate;
    explicit PartitionMeasures(size_t n)
        : groups(n, 0),
          spilled_rows(n, 0),
          partitioned_rows(n, 0),
          run_bytes(n, 0),
          spilled_bytes(n, 0),
          estimate(n, 0) {}
  };

  static Budgets SplitBudget(const RunOptions& run) {
    Budgets b;
    b.pipeline = run;
    // The caller writes one report of the whole group-by (group_by_report.h).
    b.pipeline.report_path.clear();
    const int64_t budget = run.memory_budget;
    b.pipeline.memory_budget = std::max(budget / 4, std::min(kMinPipelineBytes, budget / 2));
    b.pieces = b.pipeline;
    b.pieces.memory_budget = budget;
    b.state = budget - b.pipeline.memory_budget;
    b.merge = b.state - b.state / 2;
    return b;
  }

  // The scan: each thread's partial aggregates its batches, spilling rows by partition when its
  // state outgrows its share.
  void AggregatePartials() {
    std::atomic<int64_t> rows{0};
    Pipeline pipeline("groupby-scan");
    ReduceResult<Partials> partials =
        ScanStages(pipeline, scan_)
            .Reduce(
                "aggregate", Partials{},
                [&](Partials& mine, PositionedBatch in) {
                  if (mine.empty())
                    mine.push_back(std::make_shared<GroupByPartial>(prototype_, spill_));
                  mine[0]->Consume(in.batch, in.position);
                  rows.fetch_add(in.batch.num_rows(), std::memory_order_relaxed);
                },
                [](Partials& all, Partials&& partial) {
                  all.insert(all.end(), partial.begin(), partial.end());
                });
    result_.scan_report = pipeline.Run(budgets_.pipeline);
    result_.input_rows = rows.load();
    sealed_ = partials.value();
  }

  // Finishes the partials and fixes the partitions: sized from the rows actually read (a CSV
  // scan knows them only now), and a multiple of the spill fan-out when rows were passed on in
  // runs (spilled or held in memory).
  void SealPartials() {
    for (auto& p : sealed_) {
      p->FinishInput();
      result_.spilled_rows += p->spilled_rows();
      result_.partitioned_rows += p->partitioned_rows();
      for (const auto& run : p->runs()) {
        result_.spill_runs += run.run.path.empty() ? 0 : 1;
        result_.spilled_file_bytes += run.run.file_bytes;
      }
      has_runs_ = has_runs_ || !p->runs().empty();
    }
    result_.peak_partial_bytes = spill_.budget().peak();
    const int wanted = static_cast<int>(
        std::clamp<int64_t>(std::max<int64_t>(cores_, result_.input_rows / kRowsPerPartition),
                            options_.min_partitions, options_.max_partitions));
    spill_partitions_ = has_runs_ ? spill_.partitions() : wanted;
    fine_ = has_runs_ ? (wanted + spill_partitions_ - 1) / spill_partitions_ : 1;
    result_.partitions = spill_partitions_ * fine_;
    result_.spill_partitions = has_runs_ ? spill_partitions_ : 0;
    for (auto& p : sealed_) {
      p->state().Seal(result_.partitions);
      result_.partial_state_bytes += p->state().ByteSize();
      partial_groups_ += p->state().num_groups();
      if (p->state().num_groups() > 0) key_bytes_ = p->state().average_key_bytes();
    }
  }

  // One partial that holds every group (nothing passed on), on one thread or in one partition:
  // its state is the result, which merges would only copy group by group. A reduce task of a
  // shuffle, whose rows are one hash partition of the data, ends here.
  bool FinishOnlyPartial(const GroupBySink& sink) {
    if (sealed_.size() != 1 || has_runs_ || (cores_ > 1 && result_.partitions > 1)) return false;
    HashAggregation& state = sealed_[0]->state();
    GroupByPartitionStats task;
    task.end = result_.partitions;
    task.partial_groups = state.num_groups();
    task.state_bytes = state.ByteSize();
    task.groups = state.num_groups();
    task.passes = 1;
    result_.tasks = {task};
    result_.groups = task.groups;
    result_.max_merge_state_bytes = task.state_bytes;
    state.Finish(options_.output_batch_rows, sink);
    return true;
  }

  // Measured sizes per spill partition, and the state each will build in its merge: they drive
  // coalescing and skew handling.
  void MeasurePartitions() {
    const double bytes_per_group = partial_groups_ > 0
                                       ? static_cast<double>(result_.partial_state_bytes) /
                                             static_cast<double>(partial_groups_)
                                       : 0;
    // A row passed on is a new group in the merge, except the rows of groups a partial had,
    // which it buffered once closed (state growing with values): those add about their own
    // bytes.
    const double new_group_bytes =
        static_cast<double>(spill_.run_prototype().EstimatedGroupBytes(key_bytes_));
    // A closed partial buffered every row, of its groups or new: as many are new as were among
    // the rows the partials consumed (nearly all for a distinct of unique rows, none for q1).
    const int64_t consumed_rows =
        result_.input_rows - result_.spilled_rows - result_.partitioned_rows;
    new_fraction_ = consumed_rows > 0 ? std::min(1.0, static_cast<double>(partial_groups_) /
                                                          static_cast<double>(consumed_rows))
                                      : 1.0;
    PartitionMeasures& m = measures_;
    m = PartitionMeasures(static_cast<size_t>(spill_partitions_));
    for (size_t s = 0; s < m.estimate.size(); ++s) {
      for (const auto& p : sealed_) {
        for (int f = 0; f < fine_; ++f) {
          m.groups[s] += p->state().partition_groups(static_cast<int>(s) * fine_ + f);
        }
        const double closed = p->spilled_rows() > 0 ? static_cast<double>(p->closed_rows()) /
                                                          static_cast<double>(p->spilled_rows())
                                                    : 0;
        for (const auto& run : p->runs()) {
          const bool in_memory = run.run.path.empty();
          const int64_t rows_in = run.rows_of_partition[s];
          (in_memory ? m.partitioned_rows : m.spilled_rows)[s] += rows_in;
          if (!in_memory) m.spilled_bytes[s] += run.bytes_of_partition[s];
          m.run_bytes[s] += run.bytes_of_partition[s];
          const double share = in_memory ? 0 : closed;
          const double rows = static_cast<double>(rows_in);
          m.estimate[s] += static_cast<int64_t>(
              rows * (1 - share + share * new_fraction_) * new_group_bytes +
              static_cast<double>(run.bytes_of_partition[s]) * share * (1 - new_fraction_));
        }
      }
      m.estimate[s] += static_cast<int64_t>(static_cast<double>(m.groups[s]) * bytes_per_group);
    }
  }

  // Merge tasks: adjacent small partitions coalesced; a skewed task's spilled runs are split
  // among pieces that pre-aggregate in parallel.
  void PlanTasks() {
    const PartitionMeasures& m = measures_;
    target_ = std::min(options_.advisory_partition_bytes,
                       std::max<int64_t>(budgets_.merge / cores_, 64 << 10));
    std::vector<PartitionRange> ranges =
        CoalescePartitions(m.estimate, target_, options_.min_partitions, options_.max_partitions);
    std::vector<bool> skewed(m.estimate.size(), false);
    if (has_runs_) {
      for (int s :
           SkewedPartitions(m.run_bytes, options_.skew_factor, options_.skew_threshold_bytes)) {
        skewed[static_cast<size_t>(s)] = true;
      }
    }
    tasks_.resize(ranges.size());
    result_.tasks.resize(ranges.size());
    for (size_t t = 0; t < ranges.size(); ++t) {
      tasks_[t].index = static_cast<int>(t);
      tasks_[t].spill_range = ranges[t];
      GroupByPartitionStats& stats = result_.tasks[t];
      stats.first = ranges[t].begin * fine_;
      stats.end = ranges[t].end * fine_;
      for (int s = ranges[t].begin; s < ranges[t].end; ++s) {
        const size_t i = static_cast<size_t>(s);
        stats.partial_groups += m.groups[i];
        stats.spilled_rows += m.spilled_rows[i];
        stats.spilled_bytes += m.spilled_bytes[i];
        stats.partitioned_rows += m.partitioned_rows[i];
        stats.run_bytes += m.run_bytes[i];
        stats.estimated_bytes += m.estimate[i];
        stats.skewed = stats.skewed || skewed[i];
      }
      tasks_[t].estimated_bytes = stats.estimated_bytes;
      tasks_[t].new_groups =
          stats.partitioned_rows +
          static_cast<int64_t>(static_cast<double>(stats.spilled_rows) * new_fraction_);
      if (stats.skewed) stats.pieces = SplitIntoPieces(t, stats.spilled_bytes);
    }
  }

  // Deals task t's spilled runs round-robin to pieces; returns how many.
  int SplitIntoPieces(size_t t, int64_t spilled_bytes) {
    const PartitionRange range = tasks_[t].spill_range;
    std::vector<std::pair<int, int>> runs;
    for (size_t p = 0; p < sealed_.size(); ++p) {
      for (size_t r = 0; r < sealed_[p]->runs().size(); ++r) {
        if (!RunBlocksIn(sealed_[p]->runs()[r], range.begin, range.end).empty()) {
          runs.emplace_back(static_cast<int>(p), static_cast<int>(r));
        }
      }
    }
    const int count = static_cast<int>(std::clamp<int64_t>(
        spilled_bytes / std::max<int64_t>(target_, 1) + 1, 2, 4 * int64_t{cores_}));
    const size_t first_piece = pieces_.size();
    for (int i = 0; i < count && i < static_cast<int>(runs.size()); ++i) {
      pieces_.push_back(Piece{static_cast<int>(t), {}});
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      pieces_[first_piece + i % (pieces_.size() - first_piece)].runs.push_back(runs[i]);
    }
    return static_cast<int>(pieces_.size() - first_piece);
  }

  void PreAggregatePieces() {
    if (pieces_.empty()) return;
    const bool order_sensitive = prototype_.order_sensitive();
    std::mutex mu;
    Pipeline pipeline("groupby-skew");
    pipeline.Source("pieces", pieces_)
        .Map("pre-aggregate",
             [&](const Piece& piece) {
               auto state = std::shared_ptr<HashAggregation>(spill_.run_prototype().NewEmpty());
               const PartitionRange range = tasks_[static_cast<size_t>(piece.task)].spill_range;
               for (auto [p, r] : piece.runs) {
                 const GroupBySpillRun& run =
                     sealed_[static_cast<size_t>(p)]->runs()[static_cast<size_t>(r)];
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
          tasks_[static_cast<size_t>(done.task)].pieces.push_back(std::move(done.state));
        });
    pipeline.Run(budgets_.pieces);
  }

  void Merge(const GroupBySink& sink) {
    // The merges' states share what the state budget has left beside the partials (which they
    // read until the end).
    GroupByMergeMemory merge_memory(
        std::max(result_.state_budget - spill_.budget().used(), result_.state_budget / 4),
        options_.run.cancel);
    GroupByMergeInputs inputs;
    inputs.partials = &sealed_;
    inputs.spill_partitions = spill_partitions_;
    inputs.fine = fine_;
    inputs.run_prototype = &spill_.run_prototype();
    inputs.order_sensitive = prototype_.order_sensitive();
    inputs.output_batch_rows = options_.output_batch_rows;
    inputs.concurrent_tasks =
        static_cast<int>(std::min(static_cast<size_t>(cores_), tasks_.size()));
    Pipeline pipeline("groupby-merge");
    pipeline.Source("partitions", std::move(tasks_))
        .FlatMap("merge",
                 [&](GroupByMergeTask task, Emitter<RecordBatch>& out) {
                   const GroupByMergeOutcome outcome = RunGroupByMerge(
                       inputs, task, merge_memory,
                       [&out](const std::function<bool()>& wait) { return out.AwaitInput(wait); },
                       [&out](RecordBatch groups) { out.Emit(std::move(groups)); });
                   GroupByPartitionStats& stats = result_.tasks[static_cast<size_t>(task.index)];
                   stats.state_bytes = outcome.state_bytes;
                   stats.groups = outcome.groups;
                   stats.passes = outcome.passes;
                   stats.splits = outcome.splits;
                 })
        // One batch at a time: the sink need not be thread-safe.
        .Sink("output", [&sink](RecordBatch groups) { sink(std::move(groups)); },
              {.min_concurrency = 1, .max_concurrency = 1});
    // Its items in flight are output batches (the states it builds are accounted apart).
    result_.merge_report = pipeline.Run(budgets_.pipeline);
    result_.merge_state_budget = merge_memory.limit();
    result_.merge_waits = merge_memory.waits();
    result_.state_overdraft_bytes =
        std::max<int64_t>(0, result_.peak_partial_bytes - spill_.budget().limit()) +
        std::max<int64_t>(0, merge_memory.peak() - merge_memory.limit());
    for (const GroupByPartitionStats& t : result_.tasks) {
      result_.max_merge_state_bytes = std::max(result_.max_merge_state_bytes, t.state_bytes);
      result_.merge_splits += t.splits;
      result_.groups += t.groups;
    }
  }

  const TableScan& scan_;
  const GroupByOptions& options_;
  const int cores_;
  const HashAggregation prototype_;
  const Budgets budgets_;
  GroupBySpill spill_;
  GroupByResult result_;
  Partials sealed_;
  bool has_runs_ = false;  // rows passed on by partition, spilled or held in memory
  int spill_partitions_ = 0;
  int fine_ = 1;  // merge partitions per spill partition
  int64_t partial_groups_ = 0;
  double key_bytes_ = 16;  // of a group's encoded key, on average
  double new_fraction_ = 1;
  PartitionMeasures measures_{0};
  int64_t target_ = 0;  // a merge task's coalescing target
  std::vector<GroupByMergeTask> tasks_;
  std::vector<Piece> pieces_;
};

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
  return GroupByRun(scan, spec, options).Run(sink);
}

}  // namespace sluice
