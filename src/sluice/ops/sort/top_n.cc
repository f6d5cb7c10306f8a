#include "sluice/ops/sort/top_n.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "sluice/base/cancellation.h"
#include "sluice/base/cores.h"
#include "sluice/base/error.h"
#include "sluice/base/memory_budget.h"
#include "sluice/flow/pipeline.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/scan_stages.h"
#include "sluice/ops/sort/row_gather.h"
#include "sluice/ops/sort/top_n_table.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

// Batches are consumed in slices of at most this many rows, each slice's growth bound reserved
// first: the bound of a whole batch (every row a new group) would claim far more than it grows.
constexpr int64_t kSliceRows = 16 * 1024;
// Hash buckets of the group keys; a ranking pass covers a range of them.
constexpr int kBuckets = 1024;
// A gathered row holds its output index and its place among the taken rows besides its values.
constexpr int64_t kGatherBytesPerRow = 24;

// One scan task's table and what it holds in the budget.
struct Partial {
  std::unique_ptr<TopNTable> table;
  Reservation held;
};
using Partials = std::vector<std::shared_ptr<Partial>>;

// The output rows a gather window takes from one batch of the input.
struct Taken {
  std::optional<RecordBatch> rows;  // of the output schema
  std::vector<int64_t> output;      // each row's output index
  Reservation held;
};

// Memory for the merges of one pass: a merge waits while others hold what it needs; one that
// cannot fit even alone takes it over the budget when over_budget, else gets none (the pass is
// abandoned and its bucket range split, as when the tables outgrow the budget while ranking).
class MergeMemory {
 public:
  // Memory one merge holds; released (and waiting merges woken) when destroyed.
  class Lease {
   public:
    Lease(MergeMemory& owner, Reservation held) : owner_(owner), held_(std::move(held)) {}
    ~Lease() {
      held_.Release();
      std::lock_guard lock(owner_.mu_);
      --owner_.holders_;
      owner_.released_.notify_all();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    MergeMemory& owner_;
    Reservation held_;
  };

  explicit MergeMemory(MemoryBudget& budget) : budget_(budget) {}

  // Null when the bytes cannot fit even alone and over_budget is false.
  std::unique_ptr<Lease> Acquire(int64_t bytes, bool over_budget) {
    std::unique_lock lock(mu_);
    while (true) {
      std::optional<Reservation> r = budget_.TryReserve(bytes);
      if (!r && holders_ == 0) {
        if (!over_budget) return nullptr;
        r = budget_.ReserveOverLimit(bytes);
      }
      if (r) {
        ++holders_;
        return std::make_unique<Lease>(*this, std::move(*r));
      }
      released_.wait(lock);
    }
  }

 private:
  MemoryBudget& budget_;
  std::mutex mu_;
  std::condition_variable released_;
  int holders_ = 0;  // guarded by mu_
};

class TopNRun {
 public:
  TopNRun(const TableScan& scan, const TopNOptions& options, TopNResult& result)
      : scan_(scan),
        rank_scan_(options.rank_scan != nullptr ? *options.rank_scan : scan),
        options_(options),
        result_(result),
        held_(options.run.memory_budget - options.run.memory_budget / 8),
        threads_(options.run.cpu_threads > 0 ? options.run.cpu_threads : UsableCores()) {
    // Resolves the columns (errors name them) before any work starts.
    const TopNTable on_input(scan.schema(), options.groups, options.order, options.n);
    const TopNTable on_ranked(rank_scan_.schema(), options.groups, options.order, options.n);
    std::vector<Field> fields;
    for (const std::string& name : options.columns) {
      const std::optional<int> c = scan.schema()->FieldIndex(name);
      if (!c) throw NotFound("unknown output column '{}'", name).With("column", name);
      output_columns_.push_back(*c);
      fields.push_back(scan.schema()->field(*c));
    }
    if (options.columns.empty()) {
      for (int c = 0; c < scan.schema()->num_fields(); ++c) output_columns_.push_back(c);
      result_.schema = scan.schema();
    } else {
      result_.schema = std::make_shared<const Schema>(std::move(fields));
    }
    for (const std::string& name : options.groups) {
      rank_group_columns_.push_back(*rank_scan_.schema()->FieldIndex(name));
    }
    rank_run_ = options.run;
    rank_run_.memory_budget = std::max<int64_t>(options.run.memory_budget / 8, 1);
    rank_run_.report_path.clear();
    gather_run_ = rank_run_;
    gather_run_.memory_budget = std::max<int64_t>(options.run.memory_budget / 4, 1);
    result_.held_budget = held_.limit();
    output_batch_bytes_ = std::clamp<int64_t>(held_.limit() / 16, 64 << 10, 4 << 20);
  }

  void Run(const std::function<void(const RecordBatch&)>& sink) {
    int lo = 0;
    int width = kBuckets;
    while (lo < kBuckets) {
      const int hi = std::min(kBuckets, lo + width);
      // A single bucket (or a single group) that does not fit runs over the budget.
      const bool last_resort = hi - lo == 1 || options_.groups.empty();
      std::optional<std::vector<int64_t>> positions = Rank(lo, hi, last_resort);
      if (!positions) {
        ++result_.abandoned_passes;
        width = std::max(1, (hi - lo) / 2);
        continue;
      }
      ++result_.passes;
      Gather(*positions, sink);
      lo = hi;
    }
    result_.peak_held_bytes = held_.peak();
    result_.overdrafts = held_.overdrafts();
  }

 private:
  std::unique_ptr<TopNTable> NewTable() const {
    return std::make_unique<TopNTable>(rank_scan_.schema(), options_.groups, options_.order,
                                       options_.n);
  }

  Reservation Take(int64_t bytes) {
    std::optional<Reservation> r = held_.TryReserve(bytes);
    return r ? std::move(*r) : held_.ReserveOverLimit(bytes);
  }

  // A reservation resized to what it pays for now; growing past the budget is an overdraft.
  void Resize(Reservation& r, int64_t bytes) {
    if (!r) r = Take(0);
    if (bytes <= r.bytes()) {
      r.Split(r.bytes() - bytes).Release();
      return;
    }
    if (!r.TryResize(bytes)) r.Merge(held_.ReserveOverLimit(bytes - r.bytes()));
  }

  // The rows of `batch` whose group falls in hash buckets [lo, hi), with their positions.
  std::pair<RecordBatch, std::vector<int64_t>> InBuckets(const RecordBatch& batch, int64_t position,
                                                         int lo, int hi) const {
    std::vector<uint64_t> hashes(static_cast<size_t>(batch.num_rows()));
    // The group table's hash (table/hash.h over the key columns).
    HashArray(batch.column(rank_group_columns_[0]), hashes);
    for (size_t k = 1; k < rank_group_columns_.size(); ++k) {
      HashArrayCombine(batch.column(rank_group_columns_[k]), hashes);
    }
    std::vector<int64_t> rows;
    std::vector<int64_t> positions;
    for (size_t r = 0; r < hashes.size(); ++r) {
      const int bucket = PartitionOf(hashes[r], kBuckets);
      if (bucket < lo || bucket >= hi) continue;
      rows.push_back(static_cast<int64_t>(r));
      positions.push_back(position + static_cast<int64_t>(r));
    }
    return {sluice::Take(batch, rows), std::move(positions)};
  }

  // Folds a batch into a task's table in slices, each slice's growth reserved first; false when
  // the budget refused (the pass is to be abandoned).
  bool Consume(Partial& part, const RecordBatch& batch, std::span<const int64_t> positions,
               int64_t first_position, bool over_budget) {
    for (int64_t at = 0; at < batch.num_rows(); at += kSliceRows) {
      const int64_t rows = std::min(kSliceRows, batch.num_rows() - at);
      const RecordBatch slice = batch.Slice(at, rows);
      const int64_t bound = part.table->GrowthBound(slice);
      std::optional<Reservation> growth = held_.TryReserve(bound);
      if (!growth) {
        if (!over_budget) return false;
        growth = held_.ReserveOverLimit(bound);
      }
      if (positions.empty()) {
        part.table->Consume(slice, first_position + at);
      } else {
        part.table->Consume(slice,
                            positions.subspan(static_cast<size_t>(at), static_cast<size_t>(rows)));
      }
      growth->Release();
      Resize(part.held, part.table->ByteSize());
    }
    return true;
  }

  // One ranking pass over the groups in hash buckets [lo, hi): the positions of every row kept,
  // in output order; nullopt when the tables outgrew the budget (unless over_budget).
  std::optional<std::vector<int64_t>> Rank(int lo, int hi, bool over_budget) {
    CancellationSource stop(options_.run.cancel);
    RunOptions run = rank_run_;
    run.cancel = stop.token();
    std::atomic<bool> outgrown{false};
    std::atomic<int64_t> rows{0};
    const bool all = lo == 0 && hi == kBuckets;
    Pipeline pipeline("topn-rank");
    ReduceResult<Partials> partials =
        ScanStages(pipeline, rank_scan_)
            .Reduce(
                "top-n", Partials{},
                [&](Partials& mine, PositionedBatch in) {
                  if (outgrown.load(std::memory_order_relaxed)) return;
                  if (mine.empty()) {
                    mine.push_back(std::make_shared<Partial>());
                    mine[0]->table = NewTable();
                  }
                  rows.fetch_add(in.batch.num_rows(), std::memory_order_relaxed);
                  bool fits = true;
                  if (all) {
                    fits = Consume(*mine[0], in.batch, {}, in.position, over_budget);
                  } else {
                    auto [kept, positions] = InBuckets(in.batch, in.position, lo, hi);
                    fits = Consume(*mine[0], kept, positions, 0, over_budget);
                  }
                  if (!fits && !outgrown.exchange(true)) {
                    stop.Cancel("the top-N tables outgrew their share of the memory budget");
                  }
                },
                [](Partials& all_partials, Partials&& partial) {
                  all_partials.insert(all_partials.end(), partial.begin(), partial.end());
                });
    try {
      result_.scan_report = pipeline.Run(run);
    } catch (const Error& e) {
      if (!outgrown.load() || e.kind() != ErrorKind::kCancelled) throw;
      options_.run.cancel.ThrowIfCancelled();
      return std::nullopt;
    }
    if (outgrown.load()) return std::nullopt;
    result_.input_rows = rows.load();
    return Merge(partials.value(), over_budget);
  }

  // Merges the tasks' tables into one, pairs at a time in parallel (each pair's second table
  // into its first, then freed), into the positions of the rows kept, in output order; nullopt
  // when a merge cannot fit the budget (unless over_budget).
  std::optional<std::vector<int64_t>> Merge(Partials& tables, bool over_budget) {
    int64_t candidates = 0;
    int64_t state = 0;
    for (const auto& t : tables) {
      candidates += t->table->num_rows();
      state += t->table->ByteSize();
    }
    result_.candidate_rows = std::max(result_.candidate_rows, candidates);
    result_.state_bytes = std::max(result_.state_bytes, state);
    MergeMemory merges(held_);
    std::atomic<bool> outgrown{false};
    while (tables.size() > 1) {
      std::vector<int> pairs;
      for (size_t i = 0; i + 1 < tables.size(); i += 2) pairs.push_back(static_cast<int>(i));
      Pipeline merge_pipeline("topn-merge");
      merge_pipeline.Source("pairs", std::move(pairs)).Sink("merge", [&](int i) {
        Partial& into = *tables[static_cast<size_t>(i)];
        std::shared_ptr<Partial>& from = tables[static_cast<size_t>(i) + 1];
        const TopNTable::Missing all = from->table->AllGroups();
        // Most groups of one task's table are in the other's too: when the bound for all of
        // them does not fit, the ones missing are counted.
        if (outgrown.load(std::memory_order_relaxed)) return;
        std::optional<Reservation> growth = held_.TryReserve(into.table->MergeGrowthBound(all));
        std::unique_ptr<MergeMemory::Lease> lease;
        if (!growth) {
          lease = merges.Acquire(
              into.table->MergeGrowthBound(into.table->MissingGroups(*from->table)), over_budget);
          if (!lease) {
            outgrown.store(true, std::memory_order_relaxed);
            return;
          }
        }
        into.table->MergeFrom(*from->table);
        from.reset();
        growth.reset();
        lease.reset();
        Resize(into.held, into.table->ByteSize());
      });
      result_.merge_report = merge_pipeline.Run(rank_run_);
      if (outgrown.load()) return std::nullopt;
      Partials survivors;
      for (auto& t : tables) {
        if (t) survivors.push_back(std::move(t));
      }
      tables = std::move(survivors);
    }
    std::vector<int64_t> positions;
    if (tables.empty()) return positions;
    TopNTable& table = *tables[0]->table;
    result_.groups += table.num_groups();
    positions_held_ = Take(table.num_rows() * static_cast<int64_t>(sizeof(int64_t)));
    positions.reserve(static_cast<size_t>(table.num_rows()));
    table.AppendPositions(positions);
    tables.clear();
    return positions;
  }

  // Bytes a gathered output row takes, before any was seen: the input's average row (the
  // footers' uncompressed bytes), else fixed-width values and strings of a guessed length.
  int64_t GuessRowBytes() const {
    if (scan_.num_rows() > 0 && scan_.data_bytes() > 0) {
      return scan_.data_bytes() / scan_.num_rows() + kGatherBytesPerRow;
    }
    int64_t bytes = kGatherBytesPerRow;
    for (const Field& f : result_.schema->fields()) {
      bytes += 1 + (f.type.layout() == Layout::kVariableBinary ? 4 + 32
                    : f.type.id() == TypeId::kBool             ? 1
                                                               : f.type.byte_width());
    }
    return bytes;
  }

  // The rows at `positions` (output order), read back from the scan in windows of output rows
  // that fit the budget, handed to the sink in order.
  void Gather(std::vector<int64_t>& positions,
              const std::function<void(const RecordBatch&)>& sink) {
    const int64_t total = static_cast<int64_t>(positions.size());
    int64_t row_bytes =
        std::max(GuessRowBytes(),
                 gathered_rows_ > 0 ? gathered_bytes_ / gathered_rows_ + kGatherBytesPerRow : 0);
    for (int64_t start = 0; start < total;) {
      const int64_t room = held_.limit() - held_.used() - 2 * output_batch_bytes_;
      const int64_t window = std::clamp<int64_t>(room / row_bytes, 1, total - start);
      GatherWindow(positions, start, start + window, sink);
      ++result_.gather_windows;
      start += window;
      row_bytes = gathered_bytes_ / std::max<int64_t>(gathered_rows_, 1) + kGatherBytesPerRow;
    }
    positions_held_.Release();
    std::vector<int64_t>().swap(positions);
  }

  void GatherWindow(const std::vector<int64_t>& positions, int64_t begin, int64_t end,
                    const std::function<void(const RecordBatch&)>& sink) {
    // (position, output index) in position order, and the units holding them.
    std::vector<std::pair<int64_t, int64_t>> wanted;
    wanted.reserve(static_cast<size_t>(end - begin));
    for (int64_t i = begin; i < end; ++i) wanted.emplace_back(positions[static_cast<size_t>(i)], i);
    std::sort(wanted.begin(), wanted.end());
    std::vector<ScanUnit> units;
    for (const auto& [position, _] : wanted) {
      const int unit = TableScan::UnitOf(position);
      if (units.empty() || units.back().index != unit) {
        units.push_back(scan_.units()[static_cast<size_t>(unit)]);
      }
    }
    std::mutex mu;
    std::vector<Taken> taken;  // guarded by mu
    Pipeline pipeline("topn-gather");
    ScanStages(pipeline, scan_, std::move(units)).Sink("take", [&](PositionedBatch in) {
      const int64_t first = in.position;
      const int64_t last = first + in.batch.num_rows();
      auto from = std::lower_bound(wanted.begin(), wanted.end(), std::make_pair(first, int64_t{0}));
      std::vector<int64_t> rows;
      Taken t;
      for (auto it = from; it != wanted.end() && it->first < last; ++it) {
        rows.push_back(it->first - first);
        t.output.push_back(it->second);
      }
      if (rows.empty()) return;
      std::vector<Array> columns;
      for (int c : output_columns_) columns.push_back(sluice::Take(in.batch.column(c), rows));
      t.rows =
          RecordBatch::Make(result_.schema, std::move(columns), static_cast<int64_t>(rows.size()));
      t.held = Take(ByteSize(t.rows) + static_cast<int64_t>(rows.size()) * kGatherBytesPerRow);
      std::lock_guard lock(mu);
      taken.push_back(std::move(t));
    });
    result_.gather_report = pipeline.Run(gather_run_);
    // Each output row's place among the taken rows, then batches in output order.
    std::vector<RowRef> refs(static_cast<size_t>(end - begin));
    std::vector<RecordBatch> sources;
    int64_t bytes = 0;
    for (size_t s = 0; s < taken.size(); ++s) {
      for (size_t r = 0; r < taken[s].output.size(); ++r) {
        refs[static_cast<size_t>(taken[s].output[r] - begin)] =
            RowRef{static_cast<uint32_t>(s), static_cast<uint32_t>(r)};
      }
      bytes += ByteSize(*taken[s].rows);
      sources.push_back(*taken[s].rows);
    }
    gathered_rows_ += end - begin;
    gathered_bytes_ += bytes;
    const int64_t batch_rows =
        std::max<int64_t>(1, output_batch_bytes_ * (end - begin) / std::max<int64_t>(bytes, 1));
    for (int64_t at = 0; at < end - begin; at += batch_rows) {
      const int64_t n = std::min(batch_rows, end - begin - at);
      const RecordBatch out = GatherRows(
          result_.schema, sources,
          std::span<const RowRef>(refs).subspan(static_cast<size_t>(at), static_cast<size_t>(n)));
      result_.output_rows += out.num_rows();
      sink(out);
      options_.run.cancel.ThrowIfCancelled();
    }
  }

  const TableScan& scan_;
  const TableScan& rank_scan_;
  const TopNOptions& options_;
  TopNResult& result_;
  MemoryBudget held_;
  const int threads_;
  std::vector<int> output_columns_;      // of the scan
  std::vector<int> rank_group_columns_;  // of the ranking scan
  // The ranking scan decodes a few columns and takes an eighth of the budget; the gather reads
  // every output column and takes a quarter, the difference reserved from held_ meanwhile.
  RunOptions rank_run_;
  RunOptions gather_run_;
  int64_t output_batch_bytes_ = 0;  // output batches hold about this many bytes
  Reservation positions_held_;
  int64_t gathered_rows_ = 0;
  int64_t gathered_bytes_ = 0;
};

}  // namespace

TopNResult TopNPerGroup(const TableScan& scan, const TopNOptions& options,
                        const std::function<void(const RecordBatch&)>& sink) {
  TopNResult result;
  TopNRun run(scan, options, result);
  run.Run(sink);
  return result;
}

TopNResult TopNPerGroup(const TableScan& scan, const TopNOptions& options) {
  std::vector<RecordBatch> batches;
  TopNResult result =
      TopNPerGroup(scan, options, [&batches](const RecordBatch& b) { batches.push_back(b); });
  result.batches = std::move(batches);
  return result;
}

}  // namespace sluice
