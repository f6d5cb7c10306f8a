// The Grace strategy of RunHashJoin (see hash_join.h).
#include <algorithm>

#include "sluice/ops/join/join_partitioner.h"
#include "sluice/ops/join/join_run_internal.h"
#include "sluice/ops/join/join_table.h"

namespace sluice::join_internal {
namespace {

// Levels of re-partitioning before a partition is joined over the budget.
constexpr int kMaxDepth = 3;
// A table this small is joined over a budget it does not fit rather than re-partitioned: a
// table's estimate has a fixed part (arena block, pages) that no split shrinks, and its
// sub-partitions would be minimal spill blocks, files whose creation costs more than the memory
// saved (a 200 KiB --memory made a 90k-row join spill to 17,000 files).
constexpr int64_t kMinRepartitionBytes = 1 << 20;

// One partition to join: both sides' runs, which side it builds, and, when split for skew, the
// matched flags its pieces pool.
struct PartitionWork {
  std::string id;
  int depth = 0;
  int64_t block_bytes = 0;  // the runs' blocks (row groups) hold about this much
  JoinPartitionRuns sides[2];
  JoinSide build = JoinSide::kRight;
  int pieces = 1;
  size_t stats = 0;  // index in result.partition_stats

  std::mutex mu;
  std::vector<uint8_t> matched;  // guarded by mu
  int remaining = 1;             // guarded by mu: pieces not finished
};

struct JoinTask {
  std::shared_ptr<PartitionWork> work;
  int piece = 0;
};
int64_t ByteSize(const JoinTask&) { return sizeof(JoinTask); }
std::string Describe(const JoinTask& t) {
  return "partition " + t.work->id + " piece " + std::to_string(t.piece + 1) + "/" +
         std::to_string(t.work->pieces);
}

int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return std::clamp(v, lo, hi); }

class GraceJoin {
 public:
  explicit GraceJoin(JoinContext& ctx)
      : ctx_(ctx), plan_(ctx.plan), directory_(ctx.options.spill_dir) {
    // A partition's table may take half the state budget; two can always be joined at once.
    max_table_bytes_ = std::max<int64_t>(ctx.memory.limit() / 2, 1);
  }

  void Run(const JoinInput& left, const JoinInput& right) {
    const int64_t estimate = ctx_.result.estimated_table_bytes;
    const int64_t per_core = std::max<int64_t>(ctx_.memory.limit() / (2 * ctx_.cores), 1);
    const int partitions =
        static_cast<int>(Clamp(std::max<int64_t>(ctx_.cores, (estimate + per_core - 1) / per_core),
                               ctx_.options.min_partitions, ctx_.options.max_partitions));
    ctx_.result.partitions = partitions;

    std::vector<JoinPartitionRuns> runs[2];
    int64_t block = 0;
    for (const JoinInput* input : {&left, &right}) {
      runs[Index(input->side)] = Partition(*input, partitions, block);
    }
    std::vector<std::shared_ptr<PartitionWork>> works;
    for (int p = 0; p < partitions; ++p) {
      works.push_back(MakeWork(std::to_string(p), 0, block,
                               std::move(runs[0][static_cast<size_t>(p)]),
                               std::move(runs[1][static_cast<size_t>(p)])));
    }
    for (const auto& w : works) {
      ctx_.result.left_rows += w->sides[0].size.rows;
      ctx_.result.right_rows += w->sides[1].size.rows;
    }
    if (ctx_.options.skew_splitting) SplitSkewed(works);

    std::vector<JoinTask> tasks;
    for (const auto& w : works) {
      if (w->sides[0].size.rows == 0 && w->sides[1].size.rows == 0) continue;
      for (int piece = 0; piece < w->pieces; ++piece) tasks.push_back({w, piece});
    }
    // Largest first, so a big partition does not start last and finish alone.
    std::stable_sort(tasks.begin(), tasks.end(), [](const JoinTask& a, const JoinTask& b) {
      return ProbeRows(*a.work) / a.work->pieces > ProbeRows(*b.work) / b.work->pieces;
    });
    Pipeline join("join-partitions");
    join.Source("partitions", std::move(tasks))
        .FlatMap("join",
                 [this](JoinTask task, Emitter<RecordBatch>& out) {
                   JoinPiece(*task.work, task.piece, out);
                 })
        .Sink("output", [this](RecordBatch batch) { ctx_.Output(batch); });
    ctx_.Run(join);
    ctx_.result.spilled_bytes = directory_.bytes_spilled();
    ctx_.result.spill_files = directory_.runs();
  }

 private:
  int64_t TableBytes(const PartitionWork& w) const {
    return w.sides[Index(w.build)].size.TableBytes(JoinTable::TracksMatches(plan_, w.build));
  }
  static int64_t Blocks(const JoinPartitionRuns& side) {
    int64_t blocks = 0;
    for (const JoinRunBlocks& run : side.runs) blocks += static_cast<int64_t>(run.blocks.size());
    return blocks;
  }
  // The blocks piece `piece` of `pieces` reads: its contiguous share of the side's blocks in
  // write order, file by file.
  static std::vector<JoinRunBlocks> PieceRuns(const JoinPartitionRuns& side, int piece,
                                              int pieces) {
    if (pieces == 1) return side.runs;
    const int64_t total = Blocks(side);
    const int64_t begin = total * piece / pieces;
    const int64_t end = total * (piece + 1) / pieces;
    std::vector<JoinRunBlocks> mine;
    int64_t i = 0;
    for (const JoinRunBlocks& run : side.runs) {
      JoinRunBlocks part{run.run, {}, 0};
      for (int block : run.blocks) {
        if (i >= begin && i < end) part.blocks.push_back(block);
        ++i;
      }
      if (!part.blocks.empty()) mine.push_back(std::move(part));
    }
    return mine;
  }
  static int64_t ProbeRows(const PartitionWork& w) {
    return w.sides[Index(Other(w.build))].size.rows;
  }

  // What joining a partition holds beside its table: a run's block being read (its file bytes,
  // decoded batch and decompression scratch) and an output batch in the making with its row
  // indices (JoinTable::OutputRows keeps those within the batch's bytes).
  int64_t JoinWorkingBytes(const PartitionWork& w) const {
    return 3 * w.block_bytes + 2 * ctx_.OutputBatchBytes();
  }

  // Partitions `input` into spill blocks. Nothing else holds join state meanwhile: the
  // partitioner may take half of it. `block` becomes the largest block of either side.
  std::vector<JoinPartitionRuns> Partition(const JoinInput& input, int partitions, int64_t& block) {
    const int columns = plan_.input_schema(input.side)->num_fields();
    const int64_t mine =
        JoinPartitioner::BlockBytesFor(ctx_.memory.limit() / 2, partitions, ctx_.cores, columns);
    block = std::max(block, mine);
    MemoryGate::Hold buffers = ctx_.memory.Acquire(
        JoinPartitioner::MemoryBytes(partitions, ctx_.cores, mine, columns), ctx_.run.cancel);
    JoinPartitioner partitioner(directory_, input.side == JoinSide::kLeft ? "left" : "right",
                                plan_.input_schema(input.side), plan_.key_columns(input.side),
                                partitions, /*seed=*/0, mine, ctx_.cores);
    Pipeline pipeline(input.side == JoinSide::kLeft ? "join-partition-left"
                                                    : "join-partition-right");
    ScanStages(pipeline, input, plan_).Sink("partition", [&partitioner](RecordBatch batch) {
      partitioner.Add(batch);
    });
    ctx_.Run(pipeline);
    return partitioner.Finish();
  }

  std::shared_ptr<PartitionWork> MakeWork(std::string id, int depth, int64_t block_bytes,
                                          JoinPartitionRuns left, JoinPartitionRuns right) {
    auto w = std::make_shared<PartitionWork>();
    w->id = std::move(id);
    w->depth = depth;
    w->block_bytes = block_bytes;
    w->sides[0] = std::move(left);
    w->sides[1] = std::move(right);
    // Each partition builds its smaller side (ties: the side the whole join would build).
    const int64_t lb = w->sides[0].size.bytes;
    const int64_t rb = w->sides[1].size.bytes;
    w->build = lb < rb ? JoinSide::kLeft : rb < lb ? JoinSide::kRight : ctx_.result.build_side;
    JoinPartitionStats stats;
    stats.id = w->id;
    stats.depth = depth;
    stats.build_side = w->build;
    stats.build_rows = w->sides[Index(w->build)].size.rows;
    stats.probe_rows = ProbeRows(*w);
    stats.build_bytes = w->sides[Index(w->build)].size.bytes;
    stats.probe_bytes = w->sides[Index(Other(w->build))].size.bytes;
    stats.table_bytes = TableBytes(*w);
    stats.spilled_bytes = w->sides[0].file_bytes + w->sides[1].file_bytes;
    std::lock_guard lock(stats_mu_);
    w->stats = ctx_.result.partition_stats.size();
    ctx_.result.partition_stats.push_back(std::move(stats));
    return w;
  }

  // A partition whose probe side is skew_factor times the median and above skew_min_rows is
  // split into pieces by its probe runs, each joined against the whole build side.
  void SplitSkewed(const std::vector<std::shared_ptr<PartitionWork>>& works) {
    std::vector<int64_t> sizes;
    for (const auto& w : works) sizes.push_back(ProbeRows(*w));
    std::nth_element(sizes.begin(), sizes.begin() + static_cast<ptrdiff_t>(sizes.size() / 2),
                     sizes.end());
    const int64_t median = sizes[sizes.size() / 2];
    for (const auto& w : works) {
      const int64_t rows = ProbeRows(*w);
      const int64_t probe_blocks = Blocks(w->sides[Index(Other(w->build))]);
      if (static_cast<double>(rows) <= ctx_.options.skew_factor * static_cast<double>(median) ||
          rows <= ctx_.options.skew_min_rows || probe_blocks < 2 ||
          TableBytes(*w) > max_table_bytes_) {
        continue;
      }
      const int64_t wanted =
          (rows + std::max<int64_t>(median, 1) - 1) / std::max<int64_t>(median, 1);
      w->pieces = static_cast<int>(
          Clamp(wanted, 2, std::min<int64_t>(probe_blocks, 4 * static_cast<int64_t>(ctx_.cores))));
      w->remaining = w->pieces;
      std::lock_guard lock(stats_mu_);
      ctx_.result.partition_stats[w->stats].pieces = w->pieces;
      ctx_.result.skewed_partitions.push_back(w->id);
    }
  }

  void CountOutput(const PartitionWork& w, int64_t rows) {
    std::lock_guard lock(stats_mu_);
    ctx_.result.partition_stats[w.stats].output_rows += rows;
  }

  std::vector<RecordBatch> ReadSide(const PartitionWork& w, JoinSide side,
                                    const CancellationToken& cancel) {
    std::vector<RecordBatch> batches;
    for (const JoinRunBlocks& run : w.sides[Index(side)].runs) {
      SpillRunReader reader(run.run, run.blocks);
      while (std::optional<RecordBatch> b = reader.Next()) {
        cancel.ThrowIfCancelled();
        batches.push_back(plan_.Conform(side, *b));
      }
    }
    return batches;
  }

  // Waits for join memory as a wait outside the pipeline: the task's queued outputs go first,
  // and the executor does not count the waiting task as running, so a task holding memory
  // while it waits to emit can still be let through.
  MemoryGate::Hold AcquireMemory(int64_t bytes, Emitter<RecordBatch>& out) {
    return out.AwaitInput([&] { return ctx_.memory.Acquire(bytes, out.cancel()); });
  }

  void JoinPiece(PartitionWork& w, int piece, Emitter<RecordBatch>& out) {
    const CancellationToken& cancel = out.cancel();
    const JoinPartitionRuns& build = w.sides[Index(w.build)];
    if (w.pieces == 1 && TableBytes(w) > max_table_bytes_ && build.size.rows > 1) {
      if (w.depth < kMaxDepth && TableBytes(w) > kMinRepartitionBytes) {
        Repartition(w, out);
        return;
      }
      ctx_.Warn("join partition " + w.id + " (" + std::to_string(build.size.rows) +
                " build rows) does not fit the memory budget after " + std::to_string(w.depth) +
                " re-partitioning(s); joining it over the budget");
    }
    // The table's bound and the working memory are granted before anything is read; once the
    // table is built the hold shrinks to what it really holds.
    const int64_t working = JoinWorkingBytes(w);
    MemoryGate::Hold hold = AcquireMemory(TableBytes(w) + working, out);
    JoinTable table(plan_, w.build, ReadSide(w, w.build, cancel), ctx_.OutputBatchBytes());
    hold.Resize(std::min(hold.bytes(), table.ByteSize() + working));
    auto counted = [&](RecordBatch b) {
      CountOutput(w, b.num_rows());
      out.Emit(std::move(b));
    };
    const JoinSide probe_side = Other(w.build);
    for (const JoinRunBlocks& run : PieceRuns(w.sides[Index(probe_side)], piece, w.pieces)) {
      SpillRunReader reader(run.run, run.blocks);
      while (std::optional<RecordBatch> b = reader.Next()) {
        cancel.ThrowIfCancelled();
        table.Probe(plan_.Conform(probe_side, *b), counted);
      }
    }
    if (!table.tracks_matches()) return;
    if (w.pieces > 1) {
      // The pieces pool their flags; the last one emits the build rows they owe together.
      std::lock_guard lock(w.mu);
      if (w.matched.empty()) {
        w.matched.assign(table.matched().begin(), table.matched().end());
      } else {
        for (size_t i = 0; i < w.matched.size(); ++i) w.matched[i] |= table.matched()[i];
      }
      if (--w.remaining > 0) return;
      table.MergeMatched(w.matched);
    }
    table.EmitBuildRows(counted);
  }

  // Splits a partition whose build side does not fit into sub-partitions by another hash seed,
  // and joins them one after another.
  void Repartition(PartitionWork& w, Emitter<RecordBatch>& out) {
    const CancellationToken& cancel = out.cancel();
    const int64_t estimate = TableBytes(w);
    const int parts =
        static_cast<int>(Clamp(2 * ((estimate + max_table_bytes_ - 1) / max_table_bytes_), 2, 64));
    // Other partitions may be joining meanwhile: this partitioner takes a quarter of the state.
    // (The blocks read stay on disk until the job ends: their files hold other partitions' too.)
    int64_t block = 0;
    std::vector<JoinPartitionRuns> subs[2];
    for (JoinSide side : {JoinSide::kLeft, JoinSide::kRight}) {
      const int columns = plan_.input_schema(side)->num_fields();
      const int64_t mine =
          JoinPartitioner::BlockBytesFor(ctx_.memory.limit() / 4, parts, 1, columns);
      block = std::max(block, mine);
      // The sub-partitions' buffers, this thread's partitioning, and the block being read.
      MemoryGate::Hold buffers = AcquireMemory(
          JoinPartitioner::MemoryBytes(parts, 1, mine, columns) + 3 * w.block_bytes, out);
      JoinPartitioner partitioner(directory_, "repart", plan_.input_schema(side),
                                  plan_.key_columns(side), parts,
                                  static_cast<uint64_t>(w.depth) + 1, mine, 1);
      for (const JoinRunBlocks& run : w.sides[Index(side)].runs) {
        SpillRunReader reader(run.run, run.blocks);
        while (std::optional<RecordBatch> b = reader.Next()) {
          cancel.ThrowIfCancelled();
          partitioner.Add(plan_.Conform(side, *b));
        }
      }
      subs[Index(side)] = partitioner.Finish();
    }
    {
      std::lock_guard lock(stats_mu_);
      ctx_.result.partition_stats[w.stats].repartitioned = true;
    }
    const int64_t parent_rows = w.sides[Index(w.build)].size.rows;
    for (int p = 0; p < parts; ++p) {
      auto sub = MakeWork(w.id + "." + std::to_string(p), w.depth + 1, block,
                          std::move(subs[0][static_cast<size_t>(p)]),
                          std::move(subs[1][static_cast<size_t>(p)]));
      if (sub->sides[0].size.rows == 0 && sub->sides[1].size.rows == 0) continue;
      // A split that kept nearly every build row (one hot key) will not do better next time.
      if (10 * sub->sides[Index(sub->build)].size.rows > 9 * parent_rows) sub->depth = kMaxDepth;
      JoinPiece(*sub, 0, out);
    }
  }

  JoinContext& ctx_;
  const JoinPlan& plan_;
  SpillDirectory directory_;
  int64_t max_table_bytes_ = 0;
  std::mutex stats_mu_;  // guards ctx_.result.partition_stats and skewed_partitions
};

}  // namespace

void RunGraceJoin(JoinContext& ctx, const JoinInput& left, const JoinInput& right) {
  GraceJoin(ctx).Run(left, right);
}

}  // namespace sluice::join_internal
