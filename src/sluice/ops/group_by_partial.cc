#include "sluice/ops/group_by_partial.h"

#include <algorithm>
#include <limits>

#include "sluice/table/builder.h"
#include "sluice/table/dictionary.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

constexpr const char* kPositionColumn = "__sluice_position";

// Spilled rows of an order-sensitive query carry their stream positions as a trailing column.
RecordBatch WithPositions(RecordBatch taken, std::span<const int64_t> rows, int64_t position,
                          const GroupBySpill& spill) {
  if (!spill.order_sensitive()) return taken;
  Int64Builder positions;
  positions.Reserve(static_cast<int64_t>(rows.size()));
  for (int64_t r : rows) positions.Append(position + r);
  std::vector<Array> columns;
  for (int c = 0; c < taken.num_columns(); ++c) columns.push_back(taken.column(c));
  columns.push_back(positions.Finish());
  return RecordBatch::Make(spill.spill_schema(), std::move(columns), taken.num_rows());
}

}  // namespace

GroupBySpill::GroupBySpill(const Schema& input, const GroupBySpec& spec,
                           const HashAggregation& prototype, int64_t state_limit, int partitions,
                           int64_t flush_bytes, int64_t partition_first_groups,
                           std::string spill_dir, int concurrency)
    : budget_(state_limit),
      partitions_(partitions),
      flush_bytes_(flush_bytes),
      partition_first_groups_(partition_first_groups),
      concurrency_(std::max(concurrency, 1)),
      order_sensitive_(prototype.order_sensitive()),
      spill_dir_(std::move(spill_dir)) {
  columns_ = prototype.input_columns();
  std::vector<Field> fields;
  for (int c : columns_) fields.push_back(input.field(c));
  projected_schema_ = std::make_shared<const Schema>(fields);
  if (order_sensitive_) fields.push_back(Field{kPositionColumn, DataType::Int64(), false});
  spill_schema_ = std::make_shared<const Schema>(std::move(fields));
  run_prototype_ = std::make_unique<HashAggregation>(*spill_schema_, spec);
}

RecordBatch GroupBySpill::Project(const RecordBatch& batch) const {
  std::vector<Array> columns;
  for (int c : columns_) columns.push_back(batch.column(c));
  return RecordBatch::Make(projected_schema_, std::move(columns), batch.num_rows());
}

SpillDirectory& GroupBySpill::directory() {
  std::lock_guard lock(mu_);
  if (!directory_) directory_ = std::make_unique<SpillDirectory>(spill_dir_);
  return *directory_;
}

const SpillDirectory* GroupBySpill::directory_if_created() const {
  std::lock_guard lock(mu_);
  return directory_.get();
}

GroupByPartial::GroupByPartial(const HashAggregation& prototype, GroupBySpill& spill)
    : state_(prototype.NewEmpty()), run_keys_(spill.run_prototype().NewEmpty()), spill_(spill) {
  reservation_ = *spill_.budget().TryReserve(0);
}

int64_t GroupByPartial::HeldBytes() const {
  return state_->ByteSize() + scattered_bytes_ + memory_run_bytes_ +
         (run_keys_ != nullptr ? run_keys_->ByteSize() : 0);
}

bool GroupByPartial::Charge(int64_t growth) { return reservation_.TryResize(HeldBytes() + growth); }

void GroupByPartial::Settle() {
  const int64_t bytes = HeldBytes();
  if (reservation_.TryResize(bytes)) return;
  // Only a closed partial whose buffer was just flushed gets here: it holds these bytes already.
  reservation_.Merge(spill_.budget().ReserveOverLimit(bytes - reservation_.bytes()));
}

void GroupByPartial::Consume(const RecordBatch& batch, int64_t position) {
  // While it takes new groups, in slices, so the growth charged before each (as if every row
  // made a new group) stays small; afterwards whole (rows passed on hold their batch).
  const int64_t slice_rows = std::clamp<int64_t>(
      spill_.budget().limit() / (8 * 256 * spill_.concurrency()), 256, 16 * 1024);
  if (mode_ != Mode::kOpen || batch.num_rows() <= slice_rows) {
    ConsumeSlice(batch, position);
    return;
  }
  for (int64_t r = 0; r < batch.num_rows();) {
    const int64_t rows =
        mode_ == Mode::kOpen ? std::min(slice_rows, batch.num_rows() - r) : batch.num_rows() - r;
    ConsumeSlice(batch.Slice(r, rows), position + r);
    r += rows;
  }
}

void GroupByPartial::ConsumeSlice(const RecordBatch& batch, int64_t position) {
  if (mode_ == Mode::kOpen) {
    if (Charge(state_->ConsumeGrowthBound(batch))) {
      const int64_t groups_before = state_->num_groups();
      state_->Consume(batch, position);
      Settle();
      if (state_->num_groups() >= spill_.partition_first_groups() &&
          2 * (state_->num_groups() - groups_before) > batch.num_rows()) {
        mode_ = Mode::kPartitioning;
      }
      return;
    }
    // The budget cannot take new groups: the partial keeps the ones it has.
    mode_ = Mode::kFrozen;
  }
  // Rows passed on hold values, not a column chunk's dictionary indices.
  if (HasDictionaries(batch)) {
    ConsumeSlice(DecodeDictionaries(batch), position);
    return;
  }
  if (mode_ != Mode::kClosed) {
    // Rows of groups it has are absorbed; the others are passed on by partition, holding the
    // columns the query reads of the batch.
    const int64_t passed = ByteSize(spill_.Project(batch)) +
                           batch.num_rows() * static_cast<int64_t>(2 * sizeof(int64_t));
    if (Charge(state_->ConsumeExistingGrowthBound(batch) + passed)) {
      missing_.clear();
      state_->ConsumeExisting(batch, position, missing_);
      Scatter(batch, missing_, state_->row_hashes(), position);
      // Rows are held while the budget lasts: the fewer, longer runs a merge reads, the less
      // it pays per block.
      Settle();
      return;
    }
    if (!scattered_.empty()) {
      // Out of memory: what is held goes to disk, and the batch is tried again.
      SealScattered(/*to_disk=*/true);
      ConsumeSlice(batch, position);
      return;
    }
    // The groups it has still grow (median keeps values): stop feeding them too.
    mode_ = Mode::kClosed;
  }
  all_rows_.resize(static_cast<size_t>(batch.num_rows()));
  for (int64_t r = 0; r < batch.num_rows(); ++r) all_rows_[static_cast<size_t>(r)] = r;
  closed_rows_ += batch.num_rows();
  closed_hashes_.resize(static_cast<size_t>(batch.num_rows()));
  run_keys_->HashKeys(spill_.Project(batch), closed_hashes_);
  Scatter(batch, all_rows_, closed_hashes_, position);
  if (!Charge(0) || scattered_bytes_ >= spill_.flush_bytes()) SealScattered(/*to_disk=*/true);
  Settle();
}

void GroupByPartial::Scatter(const RecordBatch& batch, std::span<const int64_t> rows,
                             std::span<const uint64_t> hashes, int64_t position) {
  if (rows.empty()) return;
  const int partitions = spill_.partitions();
  const size_t n = static_cast<size_t>(partitions);
  if (scattered_.empty()) scattered_.resize(n);
  rows_of_partition_.resize(n);
  for (int64_t r : rows) {
    rows_of_partition_[static_cast<size_t>(PartitionOf(hashes[static_cast<size_t>(r)], partitions))]
        .push_back(r);
  }
  // The batch's columns that the query reads are held (shared, not copied) while the run lives.
  const RecordBatch projected = spill_.Project(batch);
  scattered_bytes_ += ByteSize(projected) + static_cast<int64_t>(rows.size() * sizeof(int64_t));
  const uint64_t source = scatter_calls_++;
  for (size_t p = 0; p < n; ++p) {
    if (rows_of_partition_[p].empty()) continue;
    scattered_[p].push_back(
        PassedRows{projected, position, std::move(rows_of_partition_[p]), source});
    rows_of_partition_[p] = {};
  }
}

void GroupByPartial::SealScattered(bool to_disk) {
  if (scattered_.empty()) return;
  const size_t n = scattered_.size();
  GroupBySpillRun run;
  run.block_of_partition.assign(n, -1);
  run.rows_of_partition.assign(n, 0);
  run.bytes_of_partition.assign(n, 0);
  for (size_t p = 0; p < n; ++p) {
    for (const PassedRows& passed : scattered_[p]) {
      run.rows_of_partition[p] += static_cast<int64_t>(passed.rows.size());
      // What the rows take once gathered, in proportion to their batch.
      run.bytes_of_partition[p] += ByteSize(passed.batch) *
                                   static_cast<int64_t>(passed.rows.size()) /
                                   std::max<int64_t>(passed.batch.num_rows(), 1);
    }
  }
  int64_t rows = 0;
  for (int64_t r : run.rows_of_partition) rows += r;
  if (to_disk) {
    std::vector<std::vector<RecordBatch>> gathered = GatherScattered();
    SpillRunWriter writer(spill_.directory(), "groupby", spill_.spill_schema());
    int block = 0;
    for (size_t p = 0; p < n; ++p) {
      if (scattered_[p].empty()) continue;
      for (size_t k = 0; k < gathered[p].size(); ++k) {
        const PassedRows& passed = scattered_[p][k];
        gathered[p][k] =
            WithPositions(std::move(gathered[p][k]), passed.rows, passed.position, spill_);
      }
      scattered_[p].clear();
      writer.WriteBlock(gathered[p]);
      gathered[p].clear();
      run.block_of_partition[p] = block++;
    }
    run.run = writer.Finish();
    spilled_rows_ += rows;
  } else {
    for (size_t p = 0; p < n; ++p) {
      if (!scattered_[p].empty()) run.block_of_partition[p] = static_cast<int>(p);
    }
    run.memory = std::move(scattered_);
    memory_run_bytes_ += scattered_bytes_;
    partitioned_rows_ += rows;
  }
  scattered_.clear();
  scattered_bytes_ = 0;
  runs_.push_back(std::move(run));
  Settle();
}

std::vector<std::vector<RecordBatch>> GroupByPartial::GatherScattered() {
  const size_t n = scattered_.size();
  std::vector<std::vector<RecordBatch>> gathered(n);
  std::vector<size_t> next(n, 0);
  std::vector<std::span<const int64_t>> sets;
  std::vector<size_t> owners;
  while (true) {
    // The earliest input batch some partition still has rows of: every partition lists its
    // pieces in input order.
    uint64_t source = std::numeric_limits<uint64_t>::max();
    for (size_t p = 0; p < n; ++p) {
      if (next[p] < scattered_[p].size()) source = std::min(source, scattered_[p][next[p]].source);
    }
    if (source == std::numeric_limits<uint64_t>::max()) break;
    sets.clear();
    owners.clear();
    for (size_t p = 0; p < n; ++p) {
      if (next[p] < scattered_[p].size() && scattered_[p][next[p]].source == source) {
        sets.push_back(scattered_[p][next[p]].rows);
        owners.push_back(p);
      }
    }
    std::vector<RecordBatch> taken = TakeSets(scattered_[owners[0]][next[owners[0]]].batch, sets);
    for (size_t k = 0; k < owners.size(); ++k) {
      PassedRows& passed = scattered_[owners[k]][next[owners[k]]++];
      passed.batch = RecordBatch::Make(Schema(), {}, 0);  // the batch's last holder lets it go
      gathered[owners[k]].push_back(std::move(taken[k]));
    }
  }
  return gathered;
}

void GroupByPartial::FinishInput() {
  SealScattered(/*to_disk=*/false);
  run_keys_.reset();
  missing_ = {};
  all_rows_ = {};
  closed_hashes_ = {};
  rows_of_partition_ = {};
}

}  // namespace sluice
