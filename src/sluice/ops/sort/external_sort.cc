#include "sluice/ops/sort/external_sort.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

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

// A spilled run being read in a merge holds about this many blocks: its current block decoded,
// the one it finished while the output batch filled, and the compressed pages being decoded.
constexpr int64_t kReaderBlocks = 3;
// Writing a spill holds the gathered block and the writer's encoded and compressed pages.
constexpr int64_t kSpillBlocks = 3;
// Per row of a chunk while it is sorted: the sort's entry, then the order it gathers by.
constexpr int64_t kSortBytesPerRow = kSortEntryBytes + static_cast<int64_t>(sizeof(RowRef));
// The scan pipeline's share of the budget (reads and parses in flight): a few row groups per
// thread, far less than the runs the sort holds.
constexpr int64_t kScanShareDivisor = 8;
// Runs spill one at a time (the largest, written as it is, by the task that needs memory) while
// the blocks of the spilled runs' readers take at most this fraction of the sort's budget; past
// it, every run kept in memory is merged into one spilled run, so the final merge stays one pass.
constexpr int64_t kSingleSpillReadersDivisor = 8;

int64_t ScanShare(int64_t budget) { return budget / kScanShareDivisor; }

// Scanned batches with their keys, not yet sorted, paid for in the sort's budget together with
// their sort: the working space and the sorted copy.
struct Chunk {
  std::vector<RecordBatch> batches;  // keyed
  int64_t rows = 0;
  int64_t bytes = 0;
  Reservation held;
};
using Chunks = std::vector<std::shared_ptr<Chunk>>;
int64_t ByteSize(const std::shared_ptr<Chunk>& c) { return c->bytes; }

// What a chunk's rows hold until it is sorted: the batches, their sorted copy and the sort's
// working space.
int64_t ChunkBytes(int64_t bytes, int64_t rows) { return 2 * bytes + rows * kSortBytesPerRow; }

// One sorted run: in memory (keyed batches in order, paid for by held) or spilled.
struct Run {
  std::vector<RecordBatch> batches;
  std::optional<SpillRun> spilled;
  int64_t rows = 0;
  int64_t bytes = 0;
  Reservation held;
};

void Absorb(Reservation& into, Reservation&& more) {
  if (into) {
    into.Merge(std::move(more));
  } else {
    into = std::move(more);
  }
}

// A run's batches in order, each handed over once (so the merge frees them as it goes).
RunSource InMemorySource(Run& run) {
  auto batches = std::make_shared<std::vector<RecordBatch>>(std::move(run.batches));
  return [batches, next = size_t{0}]() mutable -> std::optional<RecordBatch> {
    if (next == batches->size()) return std::nullopt;
    return std::move((*batches)[next++]);
  };
}

// The lowest and highest key of every run: every key lies between them, so shares the leading
// bytes they share, which the merge then skips.
struct KeyBounds {
  std::string low;
  std::string high;
  bool empty = true;
};

void Widen(KeyBounds& bounds, std::string_view low, std::string_view high) {
  if (bounds.empty || CompareSortKeys(low, bounds.low) < 0) bounds.low = low;
  if (bounds.empty || CompareSortKeys(high, bounds.high) > 0) bounds.high = high;
  bounds.empty = false;
}

// The first and last key of a keyed batch (its last column).
std::string_view FirstKey(const RecordBatch& b) {
  return SortKeyColumn(b.column(b.num_columns() - 1)).key(0);
}
std::string_view LastKey(const RecordBatch& b) {
  return SortKeyColumn(b.column(b.num_columns() - 1)).key(b.num_rows() - 1);
}

class Sorter {
 public:
  Sorter(const TableScan& scan, const SortOptions& options, SortStats& stats)
      : options_(options),
        stats_(stats),
        encoder_(*scan.schema(), options.keys),
        held_(options.run.memory_budget - ScanShare(options.run.memory_budget)),
        schema_(scan.schema()) {
    std::vector<Field> fields = scan.schema()->fields();
    fields.push_back(Field{"__sort_key", DataType::Binary(), false});
    keyed_schema_ = std::make_shared<const Schema>(std::move(fields));
    const int threads = options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores();
    stats_.held_budget = held_.limit();
    stats_.batch_bytes = options.batch_bytes > 0
                             ? options.batch_bytes
                             : std::clamp<int64_t>(held_.limit() / 64, 64 << 10, 4 << 20);
    // A filling chunk holds about twice its bytes until it is sorted (ChunkBytes): the tasks'
    // chunks together stay under half the budget.
    stats_.chunk_bytes =
        std::max<int64_t>(held_.limit() / (4 * threads + 4), 2 * stats_.batch_bytes);
    // Set aside first, so writing a spill (which frees memory) never waits for memory.
    workspace_ = Take(kSpillBlocks * stats_.batch_bytes);
  }

  // A scanned batch into the task's chunk; a full chunk becomes a run.
  void Add(Chunks& mine, PositionedBatch in) {
    const int64_t rows = in.batch.num_rows();
    if (rows == 0) return;
    if (mine.empty()) mine.push_back(std::make_shared<Chunk>());
    Chunk& chunk = *mine[0];
    // Paid before the keys are encoded, at their largest.
    Reservation paid = Acquire(
        ChunkBytes(ByteSize(in.batch) + encoder_.MaxEncodedBytes(in.batch, true), rows), chunk);
    std::vector<Array> columns = in.batch.columns();
    columns.push_back(encoder_.Encode(in.batch, /*with_positions=*/true, in.position));
    RecordBatch keyed = RecordBatch::Make(keyed_schema_, std::move(columns));
    const int64_t bytes = ByteSize(keyed);
    Resize(paid, ChunkBytes(bytes, rows));
    Absorb(chunk.held, std::move(paid));
    chunk.rows += rows;
    chunk.bytes += bytes;
    chunk.batches.push_back(std::move(keyed));
    input_rows_.fetch_add(rows, std::memory_order_relaxed);
    keyed_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (chunk.bytes >= stats_.chunk_bytes) FinishChunk(chunk);
  }

  // Sorts a chunk and gathers its rows in order (its first `limit` rows with a limit) into a run
  // kept in memory, so merges read runs front to back; empties the chunk. What it needs was paid
  // with its batches.
  void FinishChunk(Chunk& chunk) {
    if (chunk.rows == 0) return;
    Run run;
    {
      const std::vector<RowRef> order =
          SortChunkOrder(keyed_schema_, chunk.batches, options_.limit);
      run.rows = static_cast<int64_t>(order.size());
      EmitInOrder(keyed_schema_, chunk.batches, order, BlockRows(chunk.rows, chunk.bytes),
                  [&run](RecordBatch b) {
                    run.bytes += ByteSize(b);
                    run.batches.push_back(std::move(b));
                  });
    }
    run.held = std::move(chunk.held);
    chunk = Chunk();
    Resize(run.held, run.bytes);
    std::lock_guard lock(mu_);
    if (run.rows > 0)
      Widen(key_bounds_, FirstKey(run.batches.front()), LastKey(run.batches.back()));
    runs_.push_back(std::move(run));
  }

  void Merge(const BatchSink& sink) {
    std::vector<Run> runs;
    {
      std::lock_guard lock(mu_);
      runs.swap(runs_);
    }
    stats_.input_rows = input_rows_.load();
    stats_.sorted_bytes = keyed_bytes_.load();
    stats_.runs = static_cast<int>(runs.size());
    std::vector<Run> spilled;
    std::vector<Run> in_memory;
    for (Run& r : runs) (r.spilled ? spilled : in_memory).push_back(std::move(r));
    const int64_t per_reader = kReaderBlocks * stats_.batch_bytes;
    auto room = [&] { return std::max<int64_t>(held_.limit() - held_.used(), 0); };
    // The runs kept in memory leave too little room to read the spilled ones: the largest spill
    // one at a time while that frees more than its reader takes, the rest as one run.
    while (!spilled.empty() && !in_memory.empty() &&
           static_cast<int64_t>(spilled.size()) * per_reader > room()) {
      auto largest = std::max_element(in_memory.begin(), in_memory.end(),
                                      [](const Run& a, const Run& b) { return a.bytes < b.bytes; });
      if (largest->bytes > 2 * per_reader && SingleSpillsAllowed()) {
        std::vector<Run> one;
        one.push_back(std::move(*largest));
        in_memory.erase(largest);
        spilled.push_back(WriteSpill(one));
        continue;
      }
      spilled.push_back(WriteSpill(in_memory));
      in_memory.clear();
    }
    stats_.spilled_runs = spilled_runs_.load();
    const int fan_in = static_cast<int>(std::max<int64_t>(2, room() / per_reader));
    std::sort(spilled.begin(), spilled.end(),
              [](const Run& a, const Run& b) { return a.rows < b.rows; });
    // While one merge cannot read them all, the smallest are merged into a longer run: just
    // enough of them that the final merge then can.
    while (static_cast<int>(spilled.size()) > fan_in) {
      const int take = std::min<int>(fan_in, static_cast<int>(spilled.size()) - fan_in + 1);
      std::vector<Run> group(std::make_move_iterator(spilled.begin()),
                             std::make_move_iterator(spilled.begin() + take));
      spilled.erase(spilled.begin(), spilled.begin() + take);
      Run merged;
      {
        const Reservation readers = Take(take * per_reader);
        SpillRunWriter writer(spill(), "sort-merge", keyed_schema_);
        MergeInto(group, keyed_schema_, -1, [&](RecordBatch b) { writer.Write(b); });
        merged.spilled = writer.Finish();
      }
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
      options_.run.cancel.ThrowIfCancelled();
    };
    // The workspace holds the output batch; the spilled runs' readers take their blocks.
    const Reservation readers = Take(static_cast<int64_t>(spilled.size()) * per_reader);
    if (spilled.empty() && in_memory.size() == 1) {
      // One run: its batches are the output, without the key column; no merge.
      int64_t left = options_.limit >= 0 ? options_.limit : in_memory[0].rows;
      for (const RecordBatch& b : in_memory[0].batches) {
        if (left == 0) break;
        std::vector<Array> columns = b.columns();
        columns.pop_back();
        RecordBatch unkeyed = RecordBatch::Make(schema_, std::move(columns), b.num_rows());
        if (unkeyed.num_rows() > left) unkeyed = unkeyed.Slice(0, left);
        left -= unkeyed.num_rows();
        out(std::move(unkeyed));
      }
      return;
    }
    spilled.insert(spilled.end(), std::make_move_iterator(in_memory.begin()),
                   std::make_move_iterator(in_memory.end()));
    MergeInto(spilled, schema_, options_.limit, out);
  }

  int64_t peak_held() const { return held_.peak(); }
  int64_t overdrafts() const { return held_.overdrafts(); }
  int64_t spilled_bytes() const { return spill_ ? spill_->bytes_spilled() : 0; }

 private:
  SpillDirectory& spill() {
    std::lock_guard lock(spill_mu_);
    if (!spill_) spill_ = std::make_unique<SpillDirectory>(options_.spill_dir);
    return *spill_;
  }

  // `bytes` of the sort's budget, over its limit only when the budget cannot give them (counted
  // as an overdraft).
  Reservation Take(int64_t bytes) {
    std::optional<Reservation> r = held_.TryReserve(bytes);
    return r ? std::move(*r) : held_.ReserveOverLimit(bytes);
  }

  // A reservation resized to what it pays for now: shrinking always works; growing past the
  // budget is counted as an overdraft.
  void Resize(Reservation& r, int64_t bytes) {
    if (bytes <= r.bytes()) {
      r.Split(r.bytes() - bytes).Release();  // works over the limit too
      return;
    }
    if (!r.TryResize(bytes)) r.Merge(held_.ReserveOverLimit(bytes - r.bytes()));
  }

  // `bytes` for a task whose chunk is `chunk`. When the budget is full, the chunk is sorted and
  // every run kept in memory is written as one spilled run, one task at a time: a task that
  // finds another spilling waits for it, then finds the memory it freed.
  Reservation Acquire(int64_t bytes, Chunk& chunk) {
    if (std::optional<Reservation> r = held_.TryReserve(bytes)) return std::move(*r);
    std::lock_guard turn(spill_turn_);
    if (std::optional<Reservation> r = held_.TryReserve(bytes)) return std::move(*r);
    FinishChunk(chunk);
    if (std::optional<Reservation> r = held_.TryReserve(bytes)) return std::move(*r);
    // The largest runs spill one by one while that keeps the final merge in one pass.
    while (SingleSpillsAllowed() && SpillLargestRunInMemory()) {
      if (std::optional<Reservation> r = held_.TryReserve(bytes)) return std::move(*r);
    }
    SpillRunsInMemory();
    // What is left are other tasks' chunks still filling (under half the budget): only a batch
    // larger than the rest goes over the budget.
    return Take(bytes);
  }

  // Rows of about batch_bytes, for rows that take `bytes`.
  int64_t BlockRows(int64_t rows, int64_t bytes) const {
    return std::max<int64_t>(1, stats_.batch_bytes * rows / std::max<int64_t>(bytes, 1));
  }
  int64_t BatchRows() const { return BlockRows(input_rows_.load(), keyed_bytes_.load()); }

  // Whether one more run may spill on its own: the spilled runs' readers then still take at most
  // a kSingleSpillReadersDivisor-th of the budget.
  bool SingleSpillsAllowed() const {
    return (spilled_runs_.load() + 1) * kReaderBlocks * stats_.batch_bytes <=
           held_.limit() / kSingleSpillReadersDivisor;
  }

  // Writes the largest run kept in memory as a spilled run, releasing its memory; false when
  // none is in memory.
  bool SpillLargestRunInMemory() {
    std::vector<Run> victim;
    {
      std::lock_guard lock(mu_);
      auto largest = runs_.end();
      for (auto it = runs_.begin(); it != runs_.end(); ++it) {
        if (!it->spilled && (largest == runs_.end() || it->bytes > largest->bytes)) largest = it;
      }
      if (largest == runs_.end()) return false;
      victim.push_back(std::move(*largest));
      runs_.erase(largest);
    }
    Run run = WriteSpill(victim);
    std::lock_guard lock(mu_);
    runs_.push_back(std::move(run));
    return true;
  }

  // Writes every run kept in memory as one spilled run (merged), releasing their memory.
  void SpillRunsInMemory() {
    std::vector<Run> victims;
    {
      std::lock_guard lock(mu_);
      auto kept = std::partition(runs_.begin(), runs_.end(),
                                 [](const Run& r) { return r.spilled.has_value(); });
      victims.assign(std::make_move_iterator(kept), std::make_move_iterator(runs_.end()));
      runs_.erase(kept, runs_.end());
    }
    if (victims.empty()) return;
    Run run = WriteSpill(victims);
    std::lock_guard lock(mu_);
    runs_.push_back(std::move(run));
  }

  // The runs (in memory) merged into one spilled run; they are emptied and their memory
  // released. Blocks are written through the workspace.
  Run WriteSpill(std::vector<Run>& runs) {
    Run spilled;
    for (const Run& r : runs) {
      spilled.rows += r.rows;
      spilled.bytes += r.bytes;
    }
    SpillRunWriter writer(spill(), "sort-run", keyed_schema_);
    if (runs.size() == 1) {
      for (const RecordBatch& b : runs[0].batches) writer.Write(b);
    } else {
      MergeInto(runs, keyed_schema_, -1, [&writer](RecordBatch b) { writer.Write(b); });
    }
    spilled.spilled = writer.Finish();
    runs.clear();
    spilled_runs_.fetch_add(1, std::memory_order_relaxed);
    return spilled;
  }

  static void RemoveSpill(const Run& run) {
    std::error_code ignored;
    std::filesystem::remove(run.spilled->path, ignored);
  }

  // Merges runs in memory and spilled alike, each read front to back.
  void MergeInto(std::vector<Run>& runs, const std::shared_ptr<const Schema>& out_schema,
                 int64_t limit, const std::function<void(RecordBatch)>& emit) {
    std::vector<RunSource> sources;
    for (Run& r : runs) {
      if (!r.spilled) {
        sources.push_back(InMemorySource(r));
        continue;
      }
      auto reader = std::make_shared<SpillRunReader>(*r.spilled);
      sources.push_back([reader] { return reader->Next(); });
    }
    size_t shared = 0;
    {
      std::lock_guard lock(mu_);
      shared = SharedKeyBytes(key_bounds_.low, key_bounds_.high);
    }
    MergeRuns(keyed_schema_, out_schema, {}, std::move(sources), BatchRows(), limit,
              options_.run.cancel, emit, shared);
  }

  const SortOptions& options_;
  SortStats& stats_;
  SortKeyEncoder encoder_;
  MemoryBudget held_;
  std::shared_ptr<const Schema> schema_;
  std::shared_ptr<const Schema> keyed_schema_;
  Reservation workspace_;  // for writing spills, then the final merge's output batch
  std::atomic<int64_t> input_rows_{0};
  std::atomic<int64_t> keyed_bytes_{0};
  std::atomic<int> spilled_runs_{0};
  std::mutex spill_turn_;  // held by the one task writing a spill
  std::mutex mu_;
  std::vector<Run> runs_;  // guarded by mu_
  KeyBounds key_bounds_;   // of every run's keys; guarded by mu_
  std::mutex spill_mu_;
  std::unique_ptr<SpillDirectory> spill_;  // guarded by spill_mu_ until the scan ends
};

}  // namespace

SortStats SortTable(const TableScan& scan, const SortOptions& options, const BatchSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  SortStats stats;
  Sorter sorter(scan, options, stats);
  RunOptions run = options.run;
  run.memory_budget = ScanShare(options.run.memory_budget);
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
      sorter.FinishChunk(*chunk);
    });
    finish.Run(run);
  }
  sorter.Merge(sink);
  stats.peak_held_bytes = sorter.peak_held();
  stats.overdrafts = sorter.overdrafts();
  stats.spilled_bytes = sorter.spilled_bytes();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

nlohmann::json SortStats::ToJson() const {
  return nlohmann::json{
      {"input_rows", input_rows},     {"output_rows", output_rows},
      {"sorted_bytes", sorted_bytes}, {"runs", runs},
      {"spilled_runs", spilled_runs}, {"intermediate_merges", intermediate_merges},
      {"final_fan_in", final_fan_in}, {"spilled_bytes", spilled_bytes},
      {"chunk_bytes", chunk_bytes},   {"batch_bytes", batch_bytes},
      {"held_budget", held_budget},   {"peak_held_bytes", peak_held_bytes},
      {"overdrafts", overdrafts},     {"seconds", seconds},
      {"scan", scan_report.ToJson()},
  };
}

}  // namespace sluice
