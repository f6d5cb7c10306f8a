#include "sluice/ops/join/hash_join.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/bytes.h"
#include "sluice/base/cores.h"
#include "sluice/base/log.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/join/join_build_size.h"
#include "sluice/ops/join/join_run_internal.h"
#include "sluice/ops/join/join_table.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace join_internal {
namespace {

// Rows per in-memory build partition: enough partitions to build tables on every core.
constexpr int64_t kRowsPerBuildPartition = 250'000;
// Probe rows split by partition at a time, so the split copies stay small.
constexpr int64_t kProbeSliceRows = 1 << 14;
// Bytes per collected build row that its table will add (slots, key view, hash, chain links,
// flag), beyond the row and its encoded key; JoinBuildSize::TableBytes settles the exact bound.
constexpr int64_t kTableBytesPerRow = 80;

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
  std::vector<JoinBuildSize> sizes;
  std::vector<MemoryGate::Hold> holds;
  int64_t rows = 0;
};
using BuildCollection = std::vector<std::shared_ptr<BuildPieces>>;

// Per probe task: a slice's split copy, the key scratch, and an output batch with its row
// indices.
int64_t ProbeWorkingBytes(const JoinContext& ctx, const JoinInput& probe) {
  const TableScan& scan = *probe.scan;
  const int64_t row_bytes =
      scan.num_rows() > 0 ? std::max<int64_t>(scan.data_bytes() / scan.num_rows(), 8) : 256;
  return kProbeSliceRows * (2 * row_bytes + 64) + 2 * ctx.OutputBatchBytes();
}

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
  const bool tracks = JoinTable::TracksMatches(plan, build.side);
  std::atomic<bool> overflow{false};

  // The probe tasks' working memory is set aside first; the build side gets the rest.
  std::optional<MemoryGate::Hold> probe_working =
      ctx.memory.TryAcquire(ctx.cores * ProbeWorkingBytes(ctx, probe));
  if (!probe_working) return false;

  // Each piece is charged with what its rows will take in the table.
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
                  mine[0]->sizes.resize(static_cast<size_t>(parts));
                  mine[0]->holds.resize(static_cast<size_t>(parts));
                }
                BuildPieces& pieces = *mine[0];
                pieces.rows += batch.num_rows();
                SplitByPartition(batch, build_keys, parts, [&](int p, RecordBatch piece) {
                  const auto i = static_cast<size_t>(p);
                  JoinBuildSize size;
                  size.Add(piece, build_keys);
                  const int64_t bytes =
                      size.bytes + size.key_bytes * 5 / 4 + size.rows * kTableBytesPerRow;
                  std::optional<MemoryGate::Hold> more = ctx.memory.TryAcquire(bytes);
                  if (!more) {
                    overflow.store(true);
                    return;
                  }
                  pieces.holds[i].Absorb(std::move(*more));
                  pieces.parts[i].push_back(std::move(piece));
                  pieces.sizes[i].Merge(size);
                });
              },
              [](BuildCollection& all, BuildCollection&& partial) {
                all.insert(all.end(), partial.begin(), partial.end());
              });
  ctx.Run(collect);
  if (overflow.load()) return false;

  // One table per partition, built in parallel; a partition's charge becomes its table's bound
  // before it is built, then what the table really holds.
  std::vector<std::shared_ptr<JoinTable>> tables(static_cast<size_t>(parts));
  std::vector<MemoryGate::Hold> table_holds(static_cast<size_t>(parts));
  int64_t build_rows = 0;
  for (const auto& pieces : collected.value()) build_rows += pieces->rows;
  std::vector<int> ids(static_cast<size_t>(parts));
  for (int p = 0; p < parts; ++p) ids[static_cast<size_t>(p)] = p;
  const int64_t output_batch_bytes = ctx.OutputBatchBytes();
  Pipeline build_tables("join-build-tables");
  build_tables.Source("partitions", std::move(ids)).Sink("build", [&](int p) {
    const auto i = static_cast<size_t>(p);
    std::vector<RecordBatch> batches;
    JoinBuildSize size;
    MemoryGate::Hold hold;
    for (const auto& pieces : collected.value()) {
      for (auto& b : pieces->parts[i]) batches.push_back(std::move(b));
      pieces->parts[i].clear();
      size.Merge(pieces->sizes[i]);
      hold.Absorb(std::move(pieces->holds[i]));
    }
    const int64_t needed = size.TableBytes(tracks);
    if (hold.bytes() < needed) {
      std::optional<MemoryGate::Hold> more = ctx.memory.TryAcquire(needed - hold.bytes());
      if (!more) {
        overflow.store(true);  // the table will not fit
        return;
      }
      hold.Absorb(std::move(*more));
    }
    auto table =
        std::make_shared<JoinTable>(plan, build.side, std::move(batches), output_batch_bytes);
    hold.Resize(std::min(hold.bytes(), table->ByteSize()));
    table_holds[i] = std::move(hold);
    tables[i] = std::move(table);
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
                 // Split slice by slice, so the copies of one slice are all that is made.
                 for (int64_t offset = 0; offset < batch.num_rows(); offset += kProbeSliceRows) {
                   const RecordBatch slice =
                       parts == 1 ? batch
                                  : batch.Slice(offset, std::min(kProbeSliceRows,
                                                                 batch.num_rows() - offset));
                   SplitByPartition(slice, probe_keys, parts, [&](int p, RecordBatch piece) {
                     tables[static_cast<size_t>(p)]->Probe(piece, emit);
                   });
                   if (parts == 1) break;
                 }
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

int64_t EstimateTableBytes(const JoinInput& input, const JoinPlan& plan) {
  const TableScan& scan = *input.scan;
  const Schema& schema = *plan.input_schema(input.side);
  JoinBuildSize size;
  size.rows = std::max<int64_t>(scan.num_rows(), 0);
  size.bytes = scan.data_bytes();
  const int columns = std::max(schema.num_fields(), 1);
  size.column_bytes.assign(static_cast<size_t>(columns), size.bytes / columns);
  for (int c : plan.key_columns(input.side)) {
    const DataType& type = schema.field(c).type;
    size.key_bytes += type.layout() == Layout::kVariableBinary
                          ? size.rows + size.bytes / columns
                          : size.rows * (1 + std::max(type.byte_width(), 1));
  }
  return size.TableBytes(JoinTable::TracksMatches(plan, input.side));
}

int64_t JoinContext::OutputBatchBytes() const {
  return std::max<int64_t>(run.memory_budget / 16, int64_t{64} << 10);
}

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
                     {"table_bytes", p.table_bytes},
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
          {"estimated_table_bytes", estimated_table_bytes},
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

  result.estimated_table_bytes = join_internal::EstimateTableBytes(build, plan);
  const int64_t estimate =
      result.estimated_table_bytes + ctx.cores * join_internal::ProbeWorkingBytes(ctx, probe);
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
  if (ctx.memory.overdrafts() > 0) {
    ctx.Warn(fmt::format(
        "join state went over its budget {} time(s): peak {} of {} (a partition that could not "
        "be split further)",
        ctx.memory.overdrafts(), FormatBytes(result.peak_state_bytes),
        FormatBytes(result.state_budget)));
  }
  return result;
}

}  // namespace sluice
