#include "sluice/ops/join/hash_join.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/cores.h"
#include "sluice/base/log.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/join/join_run_internal.h"
#include "sluice/ops/join/join_table.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace join_internal {
namespace {

// Rows per in-memory build partition: enough partitions to build tables on every core.
constexpr int64_t kRowsPerBuildPartition = 250'000;
// Hash table, chains and encoded keys per build row, beyond the row's own bytes.
constexpr int64_t kTableBytesPerRow = 48;

int64_t EstimateTableBytes(int64_t rows, int64_t bytes) { return bytes + rows * kTableBytesPerRow; }

// Rows split by PartitionOf(seed-0 row hash, parts); one piece per non-empty partition.
void SplitByPartition(const RecordBatch& batch, const std::vector<int>& keys, int parts,
                      const std::function<void(int, RecordBatch)>& piece) {
  if (parts == 1) {
    piece(0, batch);
    return;
  }
  const std::vector<uint64_t> hashes = HashRows(batch, keys);
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(parts));
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    rows[static_cast<size_t>(PartitionOf(hashes[static_cast<size_t>(r)], parts))].push_back(r);
  }
  for (int p = 0; p < parts; ++p) {
    const auto& indices = rows[static_cast<size_t>(p)];
    if (indices.empty()) continue;
    piece(p,
          static_cast<int64_t>(indices.size()) == batch.num_rows() ? batch : Take(batch, indices));
  }
}

struct BuildPieces {
  std::vector<std::vector<RecordBatch>> parts;
  std::vector<std::vector<JoinMemory::Hold>> holds;
  int64_t rows = 0;
};
using BuildCollection = std::vector<std::shared_ptr<BuildPieces>>;

// The in-memory strategy. False when the build side did not fit after all (nothing was
// output yet).
bool RunInMemoryJoin(JoinContext& ctx, const JoinInput& build, const JoinInput& probe) {
  const JoinPlan& plan = ctx.plan;
  const int64_t estimated_rows = build.scan->num_rows();
  const int parts = static_cast<int>(
      std::clamp<int64_t>(estimated_rows > 0 ? estimated_rows / kRowsPerBuildPartition
                                             : build.scan->data_bytes() / (16 << 20),
                          1, 2 * ctx.cores));
  const std::vector<int>& build_keys = plan.key_columns(build.side);
  std::atomic<bool> overflow{false};

  Pipeline collect("join-build-read");
  ReduceResult<BuildCollection> collected =
      ScanStages(collect, build, plan, &overflow)
          .Reduce(
              "partition", BuildCollection{},
              [&](BuildCollection& mine, RecordBatch batch) {
                if (overflow.load(std::memory_order_relaxed)) return;
                if (mine.empty()) {
                  mine.push_back(std::make_shared<BuildPieces>());
                  mine[0]->parts.resize(static_cast<size_t>(parts));
                  mine[0]->holds.resize(static_cast<size_t>(parts));
                }
                BuildPieces& pieces = *mine[0];
                pieces.rows += batch.num_rows();
                SplitByPartition(batch, build_keys, parts, [&](int p, RecordBatch piece) {
                  const int64_t bytes = ByteSize(piece) + piece.num_rows() * kTableBytesPerRow;
                  std::optional<JoinMemory::Hold> hold = ctx.memory.TryAcquire(bytes);
                  if (!hold) {
                    overflow.store(true);
                    return;
                  }
                  pieces.parts[static_cast<size_t>(p)].push_back(std::move(piece));
                  pieces.holds[static_cast<size_t>(p)].push_back(std::move(*hold));
                });
              },
              [](BuildCollection& all, BuildCollection&& partial) {
                all.insert(all.end(), partial.begin(), partial.end());
              });
  ctx.Run(collect);
  if (overflow.load()) return false;

  // One table per partition, built in parallel; a partition's pieces are released as its table
  // takes their place.
  std::vector<std::shared_ptr<JoinTable>> tables(static_cast<size_t>(parts));
  std::vector<JoinMemory::Hold> table_holds(static_cast<size_t>(parts));
  int64_t build_rows = 0;
  for (const auto& pieces : collected.value()) build_rows += pieces->rows;
  std::vector<int> ids(static_cast<size_t>(parts));
  for (int p = 0; p < parts; ++p) ids[static_cast<size_t>(p)] = p;
  Pipeline build_tables("join-build-tables");
  build_tables.Source("partitions", std::move(ids)).Sink("build", [&](int p) {
    std::vector<RecordBatch> batches;
    std::vector<JoinMemory::Hold> piece_holds;
    int64_t held = 0;
    for (const auto& pieces : collected.value()) {
      auto& mine = pieces->parts[static_cast<size_t>(p)];
      auto& holds = pieces->holds[static_cast<size_t>(p)];
      for (auto& b : mine) batches.push_back(std::move(b));
      for (auto& h : holds) {
        held += h.bytes();
        piece_holds.push_back(std::move(h));
      }
      mine.clear();
      holds.clear();
    }
    auto table = std::make_shared<JoinTable>(plan, build.side, std::move(batches));
    piece_holds.clear();
    std::optional<JoinMemory::Hold> hold = ctx.memory.TryAcquire(table->ByteSize());
    if (!hold) {
      overflow.store(true);  // the estimate was low
      return;
    }
    table_holds[static_cast<size_t>(p)] = std::move(*hold);
    tables[static_cast<size_t>(p)] = std::move(table);
  });
  ctx.Run(build_tables);
  collected.value().clear();
  if (overflow.load()) return false;
  ctx.result.partitions = parts;

  const std::vector<int>& probe_keys = plan.key_columns(probe.side);
  std::atomic<int64_t> probe_rows{0};
  Pipeline join("join-probe");
  ScanStages(join, probe, plan)
      .FlatMap("probe",
               [&](RecordBatch batch, Emitter<RecordBatch>& out) {
                 probe_rows.fetch_add(batch.num_rows(), std::memory_order_relaxed);
                 auto emit = [&out](RecordBatch b) { out.Emit(std::move(b)); };
                 SplitByPartition(batch, probe_keys, parts, [&](int p, RecordBatch piece) {
                   tables[static_cast<size_t>(p)]->Probe(piece, emit);
                 });
               })
      .Sink("output", [&ctx](RecordBatch batch) { ctx.Output(batch); });
  ctx.Run(join);
  for (const auto& table : tables) {
    table->EmitBuildRows([&ctx](RecordBatch b) { ctx.Output(b); });
  }
  (build.side == JoinSide::kLeft ? ctx.result.left_rows : ctx.result.right_rows) = build_rows;
  (probe.side == JoinSide::kLeft ? ctx.result.left_rows : ctx.result.right_rows) =
      probe_rows.load();
  return true;
}

}  // namespace

JoinContext::JoinContext(const JoinPlan& plan, const JoinOptions& options, JoinResult& result)
    : plan(plan),
      options(options),
      result(result),
      run(options.run),
      cores(options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores()),
      memory(options.run.memory_budget - options.run.memory_budget / 4) {
  run.memory_budget = std::max<int64_t>(options.run.memory_budget / 4, 1);
  run.report_path.clear();
}

void JoinContext::Output(const RecordBatch& batch) {
  if (batch.num_rows() == 0) return;
  output_rows.fetch_add(batch.num_rows(), std::memory_order_relaxed);
  std::lock_guard lock(mu);
  if (options.sink) {
    options.sink(batch);
  } else {
    result.batches.push_back(batch);
  }
}

void JoinContext::Run(Pipeline& pipeline) { result.reports.push_back(pipeline.Run(run)); }

void JoinContext::Warn(std::string text) {
  SLUICE_LOG_WARN("{}", text);
  std::lock_guard lock(mu);
  result.warnings.push_back(std::move(text));
}

}  // namespace join_internal

nlohmann::json JoinResult::ToJson() const {
  auto side_name = [](JoinSide s) { return s == JoinSide::kLeft ? "left" : "right"; };
  nlohmann::json parts = nlohmann::json::array();
  for (const JoinPartitionStats& p : partition_stats) {
    parts.push_back({{"id", p.id},
                     {"depth", p.depth},
                     {"build_side", side_name(p.build_side)},
                     {"build_rows", p.build_rows},
                     {"probe_rows", p.probe_rows},
                     {"build_bytes", p.build_bytes},
                     {"probe_bytes", p.probe_bytes},
                     {"spilled_bytes", p.spilled_bytes},
                     {"pieces", p.pieces},
                     {"repartitioned", p.repartitioned},
                     {"output_rows", p.output_rows}});
  }
  return {{"strategy", strategy},
          {"build_side", side_name(build_side)},
          {"partitions", partitions},
          {"left_rows", left_rows},
          {"right_rows", right_rows},
          {"output_rows", output_rows},
          {"spilled_bytes", spilled_bytes},
          {"spill_files", spill_files},
          {"state_budget", state_budget},
          {"peak_state_bytes", peak_state_bytes},
          {"skewed_partitions", skewed_partitions},
          {"warnings", warnings},
          {"partition_stats", std::move(parts)}};
}

JoinResult RunHashJoin(const TableScan& left, const TableScan& right, const JoinSpec& spec,
                       const JoinOptions& options) {
  JoinResult result;
  const JoinPlan plan(*left.schema(), *right.schema(), spec);
  result.schema = plan.output_schema();
  join_internal::JoinContext ctx(plan, options, result);
  result.state_budget = ctx.memory.limit();

  // The smaller side is built: by rows when both scans know them, else by bytes.
  const bool rows_known = left.num_rows() > 0 && right.num_rows() > 0;
  const bool build_left =
      rows_known ? left.num_rows() < right.num_rows() : left.data_bytes() < right.data_bytes();
  result.build_side = build_left ? JoinSide::kLeft : JoinSide::kRight;
  const join_internal::JoinInput inputs[2] = {{&left, JoinSide::kLeft}, {&right, JoinSide::kRight}};
  const join_internal::JoinInput& build = inputs[Index(result.build_side)];
  const join_internal::JoinInput& probe = inputs[Index(Other(result.build_side))];

  const int64_t estimate =
      join_internal::EstimateTableBytes(build.scan->num_rows(), build.scan->data_bytes());
  bool done = false;
  if (estimate <= ctx.memory.limit()) {
    result.strategy = "in_memory";
    done = join_internal::RunInMemoryJoin(ctx, build, probe);
    if (!done) {
      ctx.Warn("the build side did not fit in memory after all; joining by partitions instead");
    }
  }
  if (!done) {
    result.strategy = "grace";
    join_internal::RunGraceJoin(ctx, inputs[0], inputs[1]);
  }
  result.output_rows = ctx.output_rows.load();
  result.peak_state_bytes = ctx.memory.peak();
  return result;
}

}  // namespace sluice
