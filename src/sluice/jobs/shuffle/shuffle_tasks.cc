#include "sluice/jobs/shuffle/shuffle_tasks.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/base/memory_gate.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/parquet/file_concat.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/shuffle/map_output.h"
#include "sluice/jobs/shuffle/map_side_combine.h"
#include "sluice/jobs/shuffle/reduce_plan.h"
#include "sluice/jobs/shuffle/shuffle_plan.h"
#include "sluice/jobs/shuffle/slice_scan.h"
#include "sluice/jobs/shuffle/sort_ranges.h"
#include "sluice/ops/distinct.h"
#include "sluice/ops/group_by.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/ops/sort/top_n.h"
#include "sluice/ops/table_files.h"

namespace sluice::shuffle {
namespace {

bool IsGroupBy(const ShuffleSpec& spec) { return spec.kind == kGroupByJobKind; }

GroupBySpec GroupBySpecOf(const ShuffleSpec& spec) {
  return GroupBySpec{.keys = spec.keys, .aggregates = ParseAggregateCalls(spec.aggregates)};
}

// The columns a map task reads: a group-by's keys and arguments; every column for distinct.
std::vector<std::string> ReadColumns(const ShuffleSpec& spec) {
  if (!IsGroupBy(spec)) return {};
  std::vector<std::string> columns = spec.keys;
  for (const AggregateCall& call : GroupBySpecOf(spec).aggregates) {
    for (const std::string& c : call.columns) {
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) columns.push_back(c);
    }
  }
  return columns;
}

// What decides a row's slice: the keys; distinct without --by, every column.
std::vector<int> SliceColumns(const ShuffleSpec& spec, const Schema& schema) {
  std::vector<int> columns;
  if (!IsGroupBy(spec) && spec.keys.empty()) {
    for (int c = 0; c < schema.num_fields(); ++c) columns.push_back(c);
    return columns;
  }
  for (const std::string& key : spec.keys) {
    const std::optional<int> c = schema.FieldIndex(key);
    if (!c) throw NotFound("no column {} in the inputs", key).With("column", key);
    columns.push_back(*c);
  }
  return columns;
}

// The group-by's combine plan, when every aggregate combines (map_side_combine.h).
std::optional<CombinePlan> CombineOf(const ShuffleSpec& spec) {
  if (!IsGroupBy(spec)) return std::nullopt;
  return PlanCombine(GroupBySpecOf(spec).aggregates);
}

GroupByOptions OperatorOptions(const jobs::TaskContext& context, RunOptions run) {
  GroupByOptions options;
  options.min_partitions = 1;
  options.run = std::move(run);
  options.run.cancel = context.cancel;
  return options;
}

// Every batch of the scan in stream order, for a task that stops when it is cancelled.
template <typename F>
void ForEachBatch(const TableScan& scan, const CancellationToken& cancel, F&& f) {
  for (const ScanUnit& unit : scan.units()) {
    cancel.ThrowIfCancelled();
    for (const RecordBatch& batch : scan.Read(unit)) f(batch);
  }
}

// Partial aggregation is abandoned as Velox and DuckDB abandon it: once enough rows were seen, a
// table holding most of them as groups reduces nothing.
constexpr int64_t kSampleRows = 256 * 1024;
constexpr double kMostRowsAreGroups = 0.8;

// Whether the task's groups repeat enough to aggregate before shipping: the distinct keys among
// the first kSampleRows rows of its inputs (reading the keys only) against those rows. The keys
// are counted by linear counting (Whang et al.) over a bitmap of 2^21 hash bits: within about a
// percent at this sample's size, and a tenth of the cost of sorting the hashes.
bool GroupsRepeat(const ShuffleSpec& spec, const std::vector<std::string>& files) {
  if (spec.keys.empty()) return true;
  auto keys = TableScan::Open(files, spec.keys, spec.where);
  constexpr int kBitsLog2 = 21;
  std::vector<uint64_t> bitmap(size_t{1} << (kBitsLog2 - 6), 0);
  int64_t rows = 0;
  std::vector<int> columns;
  std::vector<uint64_t> hashes;
  for (const ScanUnit& unit : keys->units()) {
    for (const RecordBatch& batch : keys->Read(unit)) {
      columns.clear();
      for (const std::string& key : spec.keys) columns.push_back(*batch.schema().FieldIndex(key));
      SliceHashes(batch, columns, hashes);  // as map outputs are cut: cheaper than HashRows
      for (uint64_t hash : hashes) {
        const uint64_t bit = hash >> (64 - kBitsLog2);
        bitmap[bit >> 6] |= uint64_t{1} << (bit & 63);
      }
      rows += batch.num_rows();
    }
    if (rows >= kSampleRows) break;
  }
  int64_t set = 0;
  for (uint64_t word : bitmap) set += std::popcount(word);
  const auto bits = static_cast<double>(int64_t{1} << kBitsLog2);
  const double groups = -bits * std::log1p(-static_cast<double>(set) / bits);
  return groups <= kMostRowsAreGroups * static_cast<double>(rows);
}

// A map task's output: its attempt's data file, rows cut by `keys` (none: all in slice 0) and held
// up to a quarter of the task's budget, which that takes out of `run`.
MapOutputWriter OpenMapOutput(const ShuffleSpec& spec, const jobs::TaskContext& context,
                              std::shared_ptr<const Schema> schema, std::vector<int> keys,
                              RunOptions& run) {
  const int64_t flush = std::max<int64_t>(run.memory_budget / 4, 1 << 20);
  run.memory_budget -= flush;
  return MapOutputWriter(context.output_dir, MapDataFileOf(context.lease.attempt),
                         std::move(schema), std::move(keys), spec.partitions, flush,
                         MapOutputCodec(spec.work_dir));
}

// Map-side combining: the task's rows aggregated per group, each group's row sliced by its keys
// (the first columns of the partial output); or, when groups barely repeat, each row shipped as a
// partial row of its own.
void RunCombiningMap(const ShuffleSpec& spec, const CombinePlan& plan, TableScan& scan,
                     const std::vector<std::string>& files, const jobs::TaskContext& context,
                     RunOptions run) {
  const GroupBySpec partial{.keys = spec.keys, .aggregates = plan.partial};
  GroupByOptions options = OperatorOptions(context, std::move(run));
  std::vector<int> keys(spec.keys.size());
  for (size_t k = 0; k < keys.size(); ++k) keys[k] = static_cast<int>(k);
  const std::shared_ptr<const Schema> schema = GroupByOutputSchema(*scan.schema(), partial);
  MapOutputWriter writer = OpenMapOutput(spec, context, schema, keys, options.run);
  if (GroupsRepeat(spec, files)) {
    // As one process's group-by: keys aggregated by their dictionary indexes where it pays.
    scan.KeepDictionaries(DictionaryKeyColumns(partial));
    RunGroupBy(scan, partial, options, [&writer](RecordBatch b) { writer.Add(b); });
  } else {
    ForEachBatch(scan, context.cancel, [&](const RecordBatch& batch) {
      writer.Add(PartialRowsOf(plan, spec.keys, batch, schema));
    });
  }
  writer.Finish();
}

// A sort's map: each row to the range of the sample's boundaries its key falls in.
void RunRangeMap(const ShuffleSpec& spec, const TableScan& scan, const jobs::TaskContext& context,
                 RunOptions run) {
  const std::vector<std::string> boundaries = ReadSortBoundaries(spec);
  const SortKeyEncoder encoder(*scan.schema(), ParseSortKeys(spec.order_by));
  MapOutputWriter writer = OpenMapOutput(spec, context, scan.schema(), {}, run);
  ForEachBatch(scan, context.cancel, [&](const RecordBatch& batch) {
    writer.AddSliced(batch, RangeSlices(encoder, boundaries, batch));
  });
  writer.Finish();
}

// The first spec.top rows of `scan` by the order (of each --per group) to `sink`, as one
// process's `sluice sort --top` computes them: a sort with a limit, or TopNPerGroup whose
// ranking pass reads `rank_scan` when given. Rows equal in the order keep the scan's order.
void TopNRows(const ShuffleSpec& spec, const TableScan& scan, const TableScan* rank_scan,
              const RunOptions& run, const BatchSink& sink) {
  const std::vector<SortKey> order = ParseSortKeys(spec.order_by);
  ResolveSortKeys(*scan.schema(), order);
  if (spec.per.empty()) {
    SortTable(scan, SortOptions{.keys = order, .limit = spec.top, .run = run}, sink);
    return;
  }
  TopNOptions options;
  options.groups = spec.per;
  options.order = order;
  options.n = spec.top;
  options.rank_scan = rank_scan;
  options.run = run;
  TopNPerGroup(scan, options, sink);
}

// The columns a top-N's ranking pass decodes: the groups and the order columns.
std::vector<std::string> RankColumns(const ShuffleSpec& spec) {
  std::vector<std::string> columns = spec.per;
  for (const SortKey& key : ParseSortKeys(spec.order_by)) {
    if (std::find(columns.begin(), columns.end(), key.column) == columns.end()) {
      columns.push_back(key.column);
    }
  }
  return columns;
}

// The ranking scan when it decodes fewer columns than `scan` (else the ranking pass reads `scan`).
const TableScan* Narrower(const TableScan* rank_scan, const TableScan& scan) {
  if (rank_scan == nullptr) return nullptr;
  return rank_scan->schema()->num_fields() < scan.schema()->num_fields() ? rank_scan : nullptr;
}

// A top-N's map: the top N of the task's own rows (of each group), so that at most N rows a group
// leave a task, sliced by a hash of the groups (all in slice 0 without groups). Its output keeps
// rows equal in the order in stream order, so a reduce reading the map outputs in map order
// breaks ties as one process does: the earlier input row first.
void RunTopNMap(const ShuffleSpec& spec, const std::vector<std::string>& files,
                const jobs::TaskContext& context, RunOptions run) {
  run.cancel = context.cancel;
  auto scan = TableScan::Open(files, {}, spec.where);
  // A global top-N sorts instead and has no ranking pass.
  std::shared_ptr<TableScan> rank_scan;
  if (!spec.per.empty()) rank_scan = TableScan::Open(files, RankColumns(spec), spec.where);
  std::vector<int> groups;
  for (const std::string& column : spec.per) {
    const std::optional<int> c = scan->schema()->FieldIndex(column);
    if (!c) throw NotFound("no column {} in the inputs", column).With("column", column);
    groups.push_back(*c);
  }
  MapOutputWriter writer = OpenMapOutput(spec, context, scan->schema(), std::move(groups), run);
  TopNRows(spec, *scan, Narrower(rank_scan.get(), *scan), run,
           [&writer](const RecordBatch& b) { writer.Add(b); });
  writer.Finish();
}

// The side a map partition read ("" for the only or the left one).
std::string SideOf(const std::string& definition_json) {
  return nlohmann::json::parse(definition_json).value("side", "");
}

// The spec as a map partition of a join's right side sees it: that side's keys and filter.
ShuffleSpec SideSpec(ShuffleSpec spec, const std::string& definition_json) {
  if (SideOf(definition_json) == kRightSide) {
    if (!spec.right_keys.empty()) spec.keys = spec.right_keys;
    spec.where = spec.right_where;
  }
  return spec;
}

void RunMap(const ShuffleSpec& job_spec, const jobs::TaskContext& context, RunOptions run) {
  const ShuffleSpec spec = SideSpec(job_spec, context.lease.definition_json);
  std::vector<std::string> files;
  nlohmann::json::parse(context.lease.definition_json).at("files").get_to(files);
  if (spec.IsTopN()) return RunTopNMap(spec, files, context, std::move(run));
  auto scan = TableScan::Open(files, ReadColumns(spec), spec.where);
  if (spec.kind == kSortJobKind) return RunRangeMap(spec, *scan, context, run);
  if (const std::optional<CombinePlan> plan = CombineOf(spec)) {
    return RunCombiningMap(spec, *plan, *scan, files, context, std::move(run));
  }
  MapOutputWriter writer =
      OpenMapOutput(spec, context, scan->schema(), SliceColumns(spec, *scan->schema()), run);
  ForEachBatch(*scan, context.cancel, [&writer](const RecordBatch& b) { writer.Add(b); });
  writer.Finish();
}

// A reduce input unit's column data at most (slice_scan.h): a sixteenth of the task's budget
// within [4 MiB, 64 MiB], so that a reducer's slices of one map output are one or a few reads.
int64_t MaxUnitBytes(const RunOptions& run) {
  return std::clamp<int64_t>(run.memory_budget / 16, int64_t{4} << 20, int64_t{64} << 20);
}

// The reduce's slice of every committed map output, in map order, to be opened as scans that
// share one fetch gate: two units' fetched bytes at a time, taken out of the task's budget
// (slice_scan.h).
struct ReduceSlices {
  std::vector<std::string> paths;
  std::vector<std::vector<int>> groups;
  int64_t max_unit = 0;
  std::shared_ptr<MemoryGate> fetch_gate;

  // Decoding `columns` only (all when empty).
  std::shared_ptr<TableScan> Open(const std::vector<std::string>& columns = {}) const {
    return OpenSlices(paths, groups, max_unit, fetch_gate, columns);
  }
};

// `maps`: only those of the side's map outputs (numbered within the side), a skewed slice's split.
ReduceSlices ReduceSlicesOf(const ShuffleSpec& spec, int first, int end, RunOptions& run,
                            std::string_view side = "",
                            std::optional<MapRange> maps = std::nullopt) {
  ReduceSlices slices;
  int m = -1;
  for (const ledger::PartitionSpec& map : MapPartitions(spec, 1)) {
    if (SideOf(map.definition_json) != side) continue;
    ++m;
    if (maps && (m < maps->begin || m >= maps->end)) continue;
    const std::string index_path = CommittedFile(spec, map.key, kMapIndexFile);
    const MapIndex index = MapIndex::FromJson(
        fs::ReadWholeFile(*fs::FileSystemFor(index_path), index_path), index_path);
    std::vector<int> mine;
    for (int s = first; s < end && s < static_cast<int>(index.row_groups.size()); ++s) {
      const auto& g = index.row_groups[static_cast<size_t>(s)];
      mine.insert(mine.end(), g.begin(), g.end());
    }
    std::sort(mine.begin(), mine.end());
    slices.paths.push_back(CommittedFile(spec, map.key, index.data_file));
    slices.groups.push_back(std::move(mine));
  }
  slices.max_unit = MaxUnitBytes(run);
  const int64_t fetch_share = std::min(2 * slices.max_unit, run.memory_budget / 4);
  run.memory_budget -= fetch_share;
  slices.fetch_gate = std::make_shared<MemoryGate>(fetch_share);
  return slices;
}

std::shared_ptr<TableScan> ReduceInput(const ShuffleSpec& spec, int first, int end, RunOptions& run,
                                       std::string_view side = "",
                                       std::optional<MapRange> maps = std::nullopt) {
  return ReduceSlicesOf(spec, first, end, run, side, maps).Open();
}

// A join's reduce: its slice of the left side's map outputs joined with the right side's.
void RunJoinReduce(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run,
                   const ReduceTask& task) {
  const auto [first, end] = task.slices;
  auto left = ReduceInput(spec, first, end, run, "", task.left_maps);
  auto right = ReduceInput(spec, first, end, run, kRightSide, task.right_maps);
  const JoinSpec join{spec.keys, spec.right_keys, ParseJoinKind(spec.how), spec.suffix};
  const JoinPlan plan(*left->schema(), *right->schema(), join);
  JoinOptions options;
  options.run = std::move(run);
  options.run.cancel = context.cancel;
  parquet::ParquetWriteOptions write = TakeWriterShare(options.run.memory_budget);
  write.sync = false;
  auto writer =
      TableFileWriter::Open((context.output_dir / kPartFile).string(), plan.output_schema(), write);
  options.sink = [&writer](const RecordBatch& b) { writer->Write(b); };
  RunHashJoin(*left, *right, join, options);
  writer->Close();
}

// The first file of each map output that is not there (index, or the data file it names), with
// its map partition's key. Asked only once a reduce met NotFound: a stat per map output.
std::vector<std::pair<std::string, std::string>> MissingMapOutputs(const ShuffleSpec& spec) {
  std::vector<std::pair<std::string, std::string>> missing;
  for (const ledger::PartitionSpec& map : MapPartitions(spec, 1)) {
    const std::string index_path = CommittedFile(spec, map.key, kMapIndexFile);
    auto store = fs::FileSystemFor(index_path);
    std::string path = index_path;
    try {
      const MapIndex index = MapIndex::FromJson(fs::ReadWholeFile(*store, path), path);
      path = CommittedFile(spec, map.key, index.data_file);
      store->Stat(path);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound) throw;
      missing.emplace_back(map.key, path);
    }
  }
  return missing;
}

// A top-N's reduce: the top N (of each group) of its slices of every map output, read in map
// order; one task over every map output for a global top-N (shuffle_plan.h).
void RunTopNReduce(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run,
                   int first, int end) {
  const ReduceSlices slices = ReduceSlicesOf(spec, first, end, run);
  auto scan = slices.Open();
  // The ranking pass decodes the group and order columns only, as the map's did.
  std::shared_ptr<TableScan> rank_scan;
  if (!spec.per.empty()) rank_scan = slices.Open(RankColumns(spec));
  run.cancel = context.cancel;
  parquet::ParquetWriteOptions write = TakeWriterShare(run.memory_budget);
  write.sync = false;  // the output commit makes the attempt's directory durable
  auto writer =
      TableFileWriter::Open((context.output_dir / kPartFile).string(), scan->schema(), write);
  TopNRows(spec, *scan, Narrower(rank_scan.get(), *scan), run,
           [&writer](const RecordBatch& b) { writer->Write(b); });
  writer->Close();
}

void RunReduceTask(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run) {
  const ReduceTask task = ReduceTask::FromJson(context.lease.definition_json);
  if (spec.IsTopN()) {
    return RunTopNReduce(spec, context, std::move(run), task.slices.begin, task.slices.end);
  }
  if (spec.kind == kJoinJobKind) return RunJoinReduce(spec, context, std::move(run), task);
  auto scan = ReduceInput(spec, task.slices.begin, task.slices.end, run);
  GroupByOptions options = OperatorOptions(context, std::move(run));
  // The rows are one hash partition of the data, whose groups the state holds whole in the end:
  // a partial that partitioned them first would only pass them through a second table.
  options.partition_first_groups = std::numeric_limits<int64_t>::max();
  parquet::ParquetWriteOptions write = TakeWriterShare(options.run.memory_budget);
  write.sync = false;  // the output commit makes the attempt's directory durable
  const std::string part = (context.output_dir / kPartFile).string();
  if (const std::optional<CombinePlan> plan = CombineOf(spec)) {
    const GroupBySpec merge{.keys = spec.keys, .aggregates = plan->merge};
    const size_t keys = spec.keys.size();
    auto writer =
        TableFileWriter::Open(part,
                              std::make_shared<const Schema>(CombinedSchema(
                                  *plan, keys, *GroupByOutputSchema(*scan->schema(), merge))),
                              write);
    RunGroupBy(*scan, merge, options,
               [&](RecordBatch b) { writer->Write(FinishCombined(*plan, keys, b)); });
    writer->Close();
  } else if (spec.kind == kSortJobKind) {
    SortOptions sort;
    sort.keys = ParseSortKeys(spec.order_by);
    sort.run = options.run;
    auto writer = TableFileWriter::Open(part, scan->schema(), write);
    SortTable(*scan, sort, [&writer](const RecordBatch& b) { writer->Write(b); });
    writer->Close();
  } else if (IsGroupBy(spec)) {
    const GroupBySpec group_by = GroupBySpecOf(spec);
    auto writer =
        TableFileWriter::Open(part, GroupByOutputSchema(*scan->schema(), group_by), write);
    RunGroupBy(*scan, group_by, options, [&writer](RecordBatch b) { writer->Write(b); });
    writer->Close();
  } else {
    auto writer = TableFileWriter::Open(part, scan->schema(), write);
    RunDistinct(*scan, spec.keys, options, [&writer](RecordBatch b) { writer->Write(b); });
    writer->Close();
  }
}

// A reduce whose map output went missing (removed, or its host's storage lost) fails with
// LostInputError naming the map partitions to run again, instead of using its attempts.
void RunReduce(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run) {
  try {
    RunReduceTask(spec, context, std::move(run));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    const auto missing = MissingMapOutputs(spec);
    if (missing.empty()) throw;
    std::vector<std::string> keys;
    for (const auto& [key, path] : missing) keys.push_back(key);
    throw jobs::LostInputError(keys, fmt::format("map output {}", missing.front().second));
  }
}

// The parts in order into the output: a Parquet output takes the parts' row groups as they are
// (written with the output's options, they need no re-encoding); a CSV output their rows.
void GatherParts(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run,
                 const std::vector<std::string>& parts) {
  if (!IsCsvPath(spec.output)) {
    parquet::ConcatenateParquetFiles(parts, spec.output);
    return;
  }
  auto scan = TableScan::Open(parts);
  auto writer =
      TableFileWriter::Open(spec.output, scan->schema(), TakeWriterShare(run.memory_budget));
  ForEachBatch(*scan, context.cancel, [&writer](const RecordBatch& b) { writer->Write(b); });
  writer->Close();
}

// A gather whose part went missing fails with LostInputError naming the reduce partitions to run
// again, as a reduce does for its map outputs.
void RunGather(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run) {
  const int64_t reducers = nlohmann::json::parse(context.lease.definition_json).at("reducers");
  std::vector<std::string> keys, parts;
  for (int64_t r = 0; r < reducers; ++r) {
    keys.push_back(jobs::StageKey(kReduceStage, r));
    parts.push_back(CommittedFile(spec, keys.back(), kPartFile));
  }
  try {
    GatherParts(spec, context, std::move(run), parts);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    std::vector<std::string> lost;
    std::string first;
    for (size_t r = 0; r < parts.size(); ++r) {
      try {
        fs::FileSystemFor(parts[r])->Stat(parts[r]);
      } catch (const Error& missing) {
        if (missing.kind() != ErrorKind::kNotFound) throw;
        lost.push_back(keys[r]);
        if (first.empty()) first = parts[r];
      }
    }
    if (lost.empty()) throw;
    throw jobs::LostInputError(lost, fmt::format("reduce part {}", first));
  }
}

}  // namespace

void RunShuffleTask(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run) {
  const std::string_view stage = jobs::StageOfKey(context.lease.key);
  if (stage == kSampleStage) return WriteSortBoundaries(spec, context.output_dir);
  if (stage == kMapStage) return RunMap(spec, context, std::move(run));
  if (stage == kReduceStage) return RunReduce(spec, context, std::move(run));
  if (stage == kGatherStage) return RunGather(spec, context, std::move(run));
  throw InvalidArgument("partition {} is of no stage of a shuffle job", context.lease.key);
}

}  // namespace sluice::shuffle
