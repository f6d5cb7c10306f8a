#include "sluice/ops/group_by_merge.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "sluice/base/check.h"
#include "sluice/ops/spill.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

// Rows of a run consumed per step, so the growth charged before each (as if every row made a
// new group, a few hundred bytes) stays a small part of the budget.
int64_t StepRows(int64_t limit) { return std::clamp<int64_t>(limit / (8 * 256), 256, 16 * 1024); }
// The share is shrunk to the state's size when it holds this much more.
constexpr int64_t kShrinkSlack = 1 << 20;

// Builds one pass of a task: its slice of the hash space, charged step by step.
class MergePass {
 public:
  MergePass(const GroupByMergeInputs& inputs, const GroupByMergeTask& task, const HashSlice& slice,
            GroupByMergeMemory::Share& share, const GroupByMergeMemory::Await& await)
      : inputs_(inputs),
        task_(task),
        slice_(slice),
        share_(share),
        await_(await),
        step_rows_(StepRows(share.limit())),
        state_(inputs.run_prototype->NewEmpty()) {}

  // False when memory was denied and waiting could not help: the pass must be split.
  bool Build() {
    const PartitionRange range = task_.spill_range;
    const int first = range.begin * inputs_.fine;
    const int end = range.end * inputs_.fine;
    const Partials& partials = *inputs_.partials;
    // The partials' groups and the rows passed on in memory (mostly new groups) are reserved
    // at once: no rehash on the way.
    int64_t groups = 0;
    for (const auto& p : partials) {
      for (int f = first; f < end; ++f) groups += p->state().partition_groups(f);
    }
    for (const auto& piece : task_.pieces) groups += piece->partition_groups(0);
    if (task_.pieces.empty()) groups += task_.new_groups;
    groups /= slice_.count;
    if (!Charge(state_->ReserveGrowthBound(groups), groups)) return false;
    state_->Reserve(groups);
    Settle();
    for (const auto& p : partials) {
      for (int f = first; f < end; ++f) {
        if (p->state().partition_groups(f) == 0) continue;
        const std::span<const uint32_t> from = p->state().SliceGroups(f, slice_, groups_);
        if (!Charge(state_->MergeGrowthBound(p->state(), from),
                    static_cast<int64_t>(from.size()))) {
          return false;
        }
        state_->MergeGroups(p->state(), from);
        Settle();
      }
    }
    if (task_.pieces.empty()) {
      for (const auto& p : partials) {
        for (const GroupBySpillRun& run : p->runs()) {
          std::vector<int> blocks = RunBlocksIn(run, range.begin, range.end);
          if (blocks.empty()) continue;
          if (!ForEachRunBatch(run, std::move(blocks), inputs_.order_sensitive,
                               [&](const RecordBatch& batch, RowPositions positions) {
                                 return ConsumeRows(batch, positions);
                               })) {
            return false;
          }
        }
      }
    }
    for (const auto& piece : task_.pieces) {
      const std::span<const uint32_t> from = piece->SliceGroups(0, slice_, groups_);
      if (!Charge(state_->MergeGrowthBound(*piece, from), static_cast<int64_t>(from.size()))) {
        return false;
      }
      state_->MergeGroups(*piece, from);
      Settle();
    }
    share_.Shrink(state_->ByteSize());
    return true;
  }

  HashAggregation& state() { return *state_; }

  // After a denied Build: into how many slices this one splits so that each fits `room`, as
  // the state's bytes per run row consumed so far project its whole size (two when nothing was
  // consumed yet), within max_passes.
  int SplitWays(int64_t room) const {
    int64_t rows = 0;
    for (const auto& p : *inputs_.partials) {
      for (const GroupBySpillRun& run : p->runs()) {
        for (int s = task_.spill_range.begin; s < task_.spill_range.end; ++s) {
          rows += run.rows_of_partition[static_cast<size_t>(s)];
        }
      }
    }
    const int most = std::max(2, inputs_.max_passes / slice_.count);
    if (consumed_rows_ == 0 || room <= 0) return 2;
    const double projected = static_cast<double>(state_->ByteSize()) * static_cast<double>(rows) /
                             slice_.count / static_cast<double>(consumed_rows_);
    const auto ways = static_cast<int64_t>(std::ceil(projected / static_cast<double>(room)));
    return static_cast<int>(std::clamp<int64_t>(ways, 2, most));
  }
  // Frees the state (before the share that paid for it shrinks).
  void Drop() { state_.reset(); }

 private:
  using Partials = std::vector<std::shared_ptr<GroupByPartial>>;

  // Grows the share to the state plus `growth`; over the limit when splitting cannot help: the
  // pass is split as far as it may be, or its state holds so few groups that what it needs is
  // their values or the state's fixed part, which halves of it would need as much.
  bool Charge(int64_t growth, int64_t step_groups) {
    const int64_t bytes = state_->ByteSize() + growth;
    if (share_.Grow(bytes, await_)) return true;
    if (slice_.count < inputs_.max_passes &&
        state_->num_groups() + step_groups >= inputs_.min_split_groups) {
      return false;
    }
    share_.GrowOverLimit(bytes);
    return true;
  }

  void Settle() {
    const int64_t bytes = state_->ByteSize();
    if (share_.bytes() - bytes > std::max(kShrinkSlack, share_.bytes() / 8)) share_.Shrink(bytes);
  }

  // Consumes the rows of a run's batch that fall in the slice, a step at a time.
  bool ConsumeRows(const RecordBatch& batch, RowPositions positions) {
    if (slice_.count > 1) {
      hashes_.resize(static_cast<size_t>(batch.num_rows()));
      state_->HashKeys(batch, hashes_);
      rows_.clear();
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        if (slice_.Contains(hashes_[static_cast<size_t>(r)])) rows_.push_back(r);
      }
      if (rows_.empty()) return true;
      positions_.resize(rows_.size());
      for (size_t i = 0; i < rows_.size(); ++i) positions_[i] = positions[rows_[i]];
      return ConsumeSteps(Take(batch, rows_), RowPositions(positions_.data()));
    }
    return ConsumeSteps(batch, positions);
  }

  bool ConsumeSteps(const RecordBatch& batch, RowPositions positions) {
    for (int64_t r = 0; r < batch.num_rows(); r += step_rows_) {
      const RecordBatch step = batch.num_rows() <= step_rows_
                                   ? batch
                                   : batch.Slice(r, std::min(step_rows_, batch.num_rows() - r));
      if (!Charge(state_->ConsumeGrowthBound(step), step.num_rows())) return false;
      if (r == 0) {
        state_->Consume(step, positions);
      } else {
        step_positions_.resize(static_cast<size_t>(step.num_rows()));
        for (int64_t i = 0; i < step.num_rows(); ++i) {
          step_positions_[static_cast<size_t>(i)] = positions[r + i];
        }
        state_->Consume(step, RowPositions(step_positions_.data()));
      }
      consumed_rows_ += step.num_rows();
      Settle();
    }
    return true;
  }

  const GroupByMergeInputs& inputs_;
  const GroupByMergeTask& task_;
  const HashSlice slice_;
  GroupByMergeMemory::Share& share_;
  const GroupByMergeMemory::Await& await_;
  const int64_t step_rows_;
  std::unique_ptr<HashAggregation> state_;
  std::vector<uint32_t> groups_;
  std::vector<uint64_t> hashes_;
  std::vector<int64_t> rows_;
  std::vector<int64_t> positions_;
  std::vector<int64_t> step_positions_;
  // Run rows of the slice consumed so far.
  int64_t consumed_rows_ = 0;
};

}  // namespace

std::vector<int> RunBlocksIn(const GroupBySpillRun& run, int first, int end) {
  std::vector<int> blocks;
  for (int s = first; s < end; ++s) {
    const int block = run.block_of_partition[static_cast<size_t>(s)];
    if (block >= 0) blocks.push_back(block);
  }
  return blocks;
}

bool ForEachRunBatch(const GroupBySpillRun& run, std::vector<int> blocks, bool order_sensitive,
                     const std::function<bool(const RecordBatch&, RowPositions)>& fn) {
  if (blocks.empty()) return true;
  std::vector<int64_t> positions;
  if (run.run.path.empty()) {
    // Held in memory (partition-first): the rows are gathered from their input batches here.
    for (int block : blocks) {
      for (const PassedRows& passed : run.memory[static_cast<size_t>(block)]) {
        const RecordBatch rows = Take(passed.batch, passed.rows);
        if (!order_sensitive) {
          if (!fn(rows, 0)) return false;
          continue;
        }
        positions.resize(passed.rows.size());
        for (size_t i = 0; i < passed.rows.size(); ++i) {
          positions[i] = passed.position + passed.rows[i];
        }
        if (!fn(rows, RowPositions(positions.data()))) return false;
      }
    }
    return true;
  }
  SpillRunReader reader(run.run, std::move(blocks));
  while (std::optional<RecordBatch> batch = reader.Next()) {
    if (!order_sensitive) {
      if (!fn(*batch, 0)) return false;
      continue;
    }
    // The trailing column is each row's stream position; the state ignores extra columns.
    const Array& column = batch->column(batch->num_columns() - 1);
    positions.resize(static_cast<size_t>(batch->num_rows()));
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      positions[static_cast<size_t>(r)] = column.Value<int64_t>(r);
    }
    if (!fn(*batch, RowPositions(positions.data()))) return false;
  }
  return true;
}

GroupByMergeOutcome RunGroupByMerge(const GroupByMergeInputs& inputs, const GroupByMergeTask& task,
                                    GroupByMergeMemory& memory,
                                    const GroupByMergeMemory::Await& await,
                                    const std::function<void(RecordBatch)>& emit) {
  GroupByMergeOutcome outcome;
  // A task estimated larger than its share of the budget starts in as many passes. The share
  // keeps an eighth for batches in flight: a pass that still outgrows it is denied and split,
  // while every extra pass reads all of the task's runs again.
  const int64_t room =
      std::max<int64_t>(memory.limit() * 7 / 8 / std::max(inputs.concurrent_tasks, 1), 1);
  const int initial = static_cast<int>(
      std::clamp<int64_t>((task.estimated_bytes + room - 1) / room, 1, inputs.max_passes));
  std::deque<HashSlice> passes;
  for (int k = 0; k < initial; ++k)
    passes.push_back(HashSlice{inputs.spill_partitions, k, initial});
  GroupByMergeMemory::Share share(memory);
  while (!passes.empty()) {
    const HashSlice slice = passes.front();
    passes.pop_front();
    MergePass pass(inputs, task, slice, share, await);
    if (!pass.Build()) {
      const std::vector<HashSlice> parts = slice.Split(pass.SplitWays(room));
      pass.Drop();
      share.Shrink(0);
      passes.insert(passes.begin(), parts.begin(), parts.end());
      ++outcome.splits;
      continue;
    }
    outcome.state_bytes = std::max(outcome.state_bytes, pass.state().ByteSize());
    outcome.groups += pass.state().num_groups();
    ++outcome.passes;
    pass.state().Finish(inputs.output_batch_rows, emit);
    pass.Drop();
    share.Shrink(0);
  }
  return outcome;
}

}  // namespace sluice
