#include "sluice/ops/sort/external_sort.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "sluice/base/cores.h"
#include "sluice/base/memory_budget.h"
#include "sluice/flow/pipeline.h"
#include "sluice/ops/scan_stages.h"
#include "sluice/ops/sort/chunk_sorter.h"
#include "sluice/ops/sort/run_merger.h"
#include "sluice/ops/sort/sort_key_encoder.h"
#include "sluice/ops/spill.h"

namespace sluice {
namespace {

// Scanned batches with their keys, not yet sorted, paid for in the sort's budget.
struct Chunk {
  std::vector<RecordBatch> batches;  // keyed
  int64_t rows = 0;
  int64_t bytes = 0;
  Reservation held;
};
using Chunks = std::vector<std::shared_ptr<Chunk>>;
int64_t ByteSize(const std::shared_ptr<Chunk>& c) { return c->bytes; }

// One sorted run: in memory (a chunk and its order, paid for by held) or spilled.
struct Run {
  SortedRows sorted;
  std::optional<SpillRun> spilled;
  int64_t rows = 0;
  int64_t bytes = 0;
  Reservation held;
};

class Sorter {
 public:
  Sorter(const TableScan& scan, const SortOptions& options, SortStats& stats)
      : options_(options),
        stats_(stats),
        encoder_(*scan.schema(), options.keys),
        held_(options.run.memory_budget - options.run.memory_budget / 4),
        schema_(scan.schema()) {
    std::vector<Field> fields = scan.schema()->fields();
    fields.push_back(Field{"__sort_key", DataType::Binary(), false});
    keyed_schema_ = std::make_shared<const Schema>(std::move(fields));
    const int threads = options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores();
    stats_.held_budget = held_.limit();
    stats_.batch_bytes = options.batch_bytes > 0
                             ? options.batch_bytes
                             : std::clamp<int64_t>(held_.limit() / 64, 64 << 10, 4 << 20);
    stats_.chunk_bytes =
        std::max<int64_t>(held_.limit() / (2 * threads + 2), 2 * stats_.batch_bytes);
  }

  // A scanned batch into the task's chunk; a full chunk becomes a run.
  void Add(Chunks& mine, PositionedBatch in) {
    if (in.batch.num_rows() == 0) return;
    if (mine.empty()) mine.push_back(std::make_shared<Chunk>());
    Chunk& chunk = *mine[0];
    std::vector<Array> columns = in.batch.columns();
    columns.push_back(encoder_.Encode(in.batch, /*with_positions=*/true, in.position));
    RecordBatch keyed = RecordBatch::Make(keyed_schema_, std::move(columns));
    const int64_t bytes = ByteSize(keyed);
    std::optional<Reservation> paid = held_.TryReserve(bytes);
    // The budget is full: this task's chunk goes to disk, then runs kept in memory do.
    if (!paid && chunk.rows > 0) {
      FinishChunk(chunk, /*spill=*/true);
      paid = held_.TryReserve(bytes);
    }
    while (!paid && SpillOneInMemoryRun()) paid = held_.TryReserve(bytes);
    // Nothing left to spill: the batch passes anyway (liveness), counted by the budget.
    if (!paid) paid = held_.ReserveOverLimit(bytes);
    if (chunk.held) {
      chunk.held.Merge(std::move(*paid));
    } else {
      chunk.held = std::move(*paid);
    }
    chunk.rows += keyed.num_rows();
    chunk.bytes += bytes;
    chunk.batches.push_back(std::move(keyed));
    input_rows_.fetch_add(in.batch.num_rows(), std::memory_order_relaxed);
    keyed_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (chunk.bytes >= stats_.chunk_bytes) FinishChunk(chunk, /*spill=*/false);
  }

  // Sorts a chunk into a run, kept in memory (the chunk plus its order) unless `spill` or the
  // budget has no room for the order; empties the chunk.
  void FinishChunk(Chunk& chunk, bool spill) {
    if (chunk.rows == 0) return;
    Run run;
    run.sorted.order = SortChunkOrder(keyed_schema_, chunk.batches, options_.limit);
    run.sorted.batches = std::move(chunk.batches);
    run.rows = static_cast<int64_t>(run.sorted.order.size());
    run.bytes = chunk.bytes;
    run.held = std::move(chunk.held);
    chunk = Chunk();
    const int64_t order_bytes = run.rows * static_cast<int64_t>(sizeof(RowRef));
    std::optional<Reservation> room;
    if (!spill) room = held_.TryReserve(order_bytes);
    if (room) {
      run.held.Merge(std::move(*room));
      if (options_.limit >= 0) Compact(run);
    } else {
      Spill(run);
    }
    std::lock_guard lock(mu_);
    runs_.push_back(std::move(run));
  }

  void Merge(const BatchSink& sink) {
    std::vector<Run> runs;
    {
      std::lock_guard lock(mu_);
      runs.swap(runs_);
    }
    stats_.input_rows = input_rows_.load();
    stats_.runs = static_cast<int>(runs.size());
    std::vector<Run> spilled;
    std::vector<Run> in_memory;
    for (Run& r : runs) (r.spilled ? spilled : in_memory).push_back(std::move(r));
    stats_.spilled_runs = spilled_runs_.load();
    // Each spilled run being read holds one block, decoded (about batch_bytes) plus its
    // compressed pages; the output batch holds another.
    const int64_t per_reader = 2 * stats_.batch_bytes;
    const int fan_in = static_cast<int>(
        std::max<int64_t>(2, (held_.limit() - held_.used() - per_reader) / per_reader));
    std::sort(spilled.begin(), spilled.end(),
              [](const Run& a, const Run& b) { return a.rows < b.rows; });
    while (static_cast<int>(spilled.size()) > fan_in) {
      std::vector<Run> group(std::make_move_iterator(spilled.begin()),
                             std::make_move_iterator(spilled.begin() + fan_in));
      spilled.erase(spilled.begin(), spilled.begin() + fan_in);
      Run merged;
      SpillRunWriter writer(spill(), "sort-merge", keyed_schema_);
      MergeInto(group, {}, keyed_schema_, -1, [&](RecordBatch b) { writer.Write(b); });
      merged.spilled = writer.Finish();
      merged.rows = merged.spilled->rows;
      for (const Run& r : group) RemoveSpill(r);
      ++stats_.intermediate_merges;
      auto at = std::lower_bound(spilled.begin(), spilled.end(), merged.rows,
                                 [](const Run& r, int64_t rows) { return r.rows < rows; });
      spilled.insert(at, std::move(merged));
    }
    stats_.final_fan_in = static_cast<int>(spilled.size() + in_memory.size());
    auto out = [&](RecordBatch b) {
      stats_.output_rows += b.num_rows();
      sink(b);
    };
    if (spilled.empty() && in_memory.size() == 1) {
      // One run: its order is the output; no merge.
      Run& run = in_memory[0];
      std::span<const RowRef> order = run.sorted.order;
      if (options_.limit >= 0 && order.size() > static_cast<size_t>(options_.limit)) {
        order = order.first(static_cast<size_t>(options_.limit));
      }
      EmitInOrder(schema_, run.sorted.batches, order, BatchRows(), [&](RecordBatch b) {
        out(std::move(b));
        options_.run.cancel.ThrowIfCancelled();
      });
      return;
    }
    MergeInto(spilled, std::move(in_memory), schema_, options_.limit, out);
  }

  int64_t peak_held() const { return held_.peak(); }
  int64_t spilled_bytes() const { return spill_ ? spill_->bytes_spilled() : 0; }

 private:
  SpillDirectory& spill() {
    std::lock_guard lock(spill_mu_);
    if (!spill_) spill_ = std::make_unique<SpillDirectory>(options_.spill_dir);
    return *spill_;
  }

  int64_t BatchRows() const {
    return std::max<int64_t>(
        1, stats_.batch_bytes * input_rows_.load() / std::max<int64_t>(keyed_bytes_.load(), 1));
  }

  // Writes an in-memory run to a spill file in its order, releasing its memory.
  void Spill(Run& run) {
    SpillRunWriter writer(spill(), "sort-run", keyed_schema_);
    const int64_t batch_rows =
        std::max<int64_t>(1, stats_.batch_bytes * run.rows / std::max<int64_t>(run.bytes, 1));
    EmitInOrder(keyed_schema_, run.sorted.batches, run.sorted.order, batch_rows,
                [&](RecordBatch b) { writer.Write(b); });
    run.spilled = writer.Finish();
    run.sorted = SortedRows();
    run.held.Release();
    spilled_runs_.fetch_add(1, std::memory_order_relaxed);
  }

  // A run of a limited sort keeps only its first rows: copies them, so the chunk is freed.
  void Compact(Run& run) {
    std::vector<RecordBatch> kept;
    EmitInOrder(keyed_schema_, run.sorted.batches, run.sorted.order, std::max<int64_t>(run.rows, 1),
                [&](RecordBatch b) { kept.push_back(b); });
    run.sorted.batches = std::move(kept);
    for (size_t i = 0; i < run.sorted.order.size(); ++i) {
      run.sorted.order[i] = RowRef{0, static_cast<uint32_t>(i)};
    }
    int64_t bytes = 0;
    for (const RecordBatch& b : run.sorted.batches) bytes += ByteSize(b);
    run.held.TryResize(bytes + run.rows * static_cast<int64_t>(sizeof(RowRef)));
  }

  // Spills the largest run kept in memory; false when there is none.
  bool SpillOneInMemoryRun() {
    Run victim;
    {
      std::lock_guard lock(mu_);
      auto largest = runs_.end();
      for (auto it = runs_.begin(); it != runs_.end(); ++it) {
        if (!it->spilled && (largest == runs_.end() || it->bytes > largest->bytes)) largest = it;
      }
      if (largest == runs_.end()) return false;
      victim = std::move(*largest);
      runs_.erase(largest);
    }
    Spill(victim);
    std::lock_guard lock(mu_);
    runs_.push_back(std::move(victim));
    return true;
  }

  static void RemoveSpill(const Run& run) {
    std::error_code ignored;
    std::filesystem::remove(run.spilled->path, ignored);
  }

  void MergeInto(std::vector<Run>& spilled, std::vector<Run> in_memory,
                 const std::shared_ptr<const Schema>& out_schema, int64_t limit,
                 const std::function<void(RecordBatch)>& emit) {
    std::vector<SortedRows> sorted;
    for (Run& r : in_memory) sorted.push_back(std::move(r.sorted));
    std::vector<RunSource> sources;
    for (Run& r : spilled) {
      auto reader = std::make_shared<SpillRunReader>(*r.spilled);
      sources.push_back([reader] { return reader->Next(); });
    }
    MergeRuns(keyed_schema_, out_schema, sorted, std::move(sources), BatchRows(), limit,
              options_.run.cancel, emit);
  }

  const SortOptions& options_;
  SortStats& stats_;
  SortKeyEncoder encoder_;
  MemoryBudget held_;
  std::shared_ptr<const Schema> schema_;
  std::shared_ptr<const Schema> keyed_schema_;
  std::atomic<int64_t> input_rows_{0};
  std::atomic<int64_t> keyed_bytes_{0};
  std::atomic<int> spilled_runs_{0};
  std::mutex mu_;
  std::vector<Run> runs_;  // guarded by mu_
  std::mutex spill_mu_;
  std::unique_ptr<SpillDirectory> spill_;  // guarded by spill_mu_ until the scan ends
};

}  // namespace

SortStats SortTable(const TableScan& scan, const SortOptions& options, const BatchSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  SortStats stats;
  Sorter sorter(scan, options, stats);
  RunOptions run = options.run;
  run.memory_budget = options.run.memory_budget / 4;
  run.report_path.clear();

  Pipeline pipeline("sort");
  ReduceResult<Chunks> leftovers =
      ScanStages(pipeline, scan)
          .Reduce(
              "sort runs", Chunks{},
              [&sorter](Chunks& mine, PositionedBatch in) { sorter.Add(mine, std::move(in)); },
              [](Chunks& all, Chunks&& partial) {
                for (auto& c : partial) {
                  if (c->rows > 0) all.push_back(std::move(c));
                }
              });
  stats.scan_report = pipeline.Run(run);

  // The chunks the tasks were still filling, sorted in parallel.
  Chunks rest = std::move(leftovers.value());
  if (!rest.empty()) {
    Pipeline finish("sort-rest");
    finish.Source("chunks", std::move(rest)).Sink("sort", [&sorter](std::shared_ptr<Chunk> chunk) {
      sorter.FinishChunk(*chunk, /*spill=*/false);
    });
    finish.Run(run);
  }
  sorter.Merge(sink);
  stats.peak_held_bytes = sorter.peak_held();
  stats.spilled_bytes = sorter.spilled_bytes();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

nlohmann::json SortStats::ToJson() const {
  return nlohmann::json{
      {"input_rows", input_rows},
      {"output_rows", output_rows},
      {"runs", runs},
      {"spilled_runs", spilled_runs},
      {"intermediate_merges", intermediate_merges},
      {"final_fan_in", final_fan_in},
      {"spilled_bytes", spilled_bytes},
      {"chunk_bytes", chunk_bytes},
      {"batch_bytes", batch_bytes},
      {"held_budget", held_budget},
      {"peak_held_bytes", peak_held_bytes},
      {"seconds", seconds},
      {"scan", scan_report.ToJson()},
  };
}

}  // namespace sluice
