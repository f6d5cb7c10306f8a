#include "sluice/ops/group_by_partial.h"

#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

constexpr const char* kPositionColumn = "__sluice_position";

}  // namespace

GroupBySpill::GroupBySpill(const Schema& input, const HashAggregation& prototype,
                           int64_t state_limit, int partitions, int64_t flush_bytes,
                           std::string spill_dir)
    : budget_(state_limit),
      partitions_(partitions),
      flush_bytes_(flush_bytes),
      order_sensitive_(prototype.order_sensitive()),
      spill_dir_(std::move(spill_dir)) {
  std::vector<Field> fields = input.fields();
  if (order_sensitive_) fields.push_back(Field{kPositionColumn, DataType::Int64(), false});
  spill_schema_ = std::make_shared<const Schema>(std::move(fields));
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
    : state_(prototype.NewEmpty()), spill_(spill) {
  reservation_ = *spill_.budget().TryReserve(0);
}

bool GroupByPartial::Account() {
  const int64_t bytes = state_->ByteSize() + buffer_bytes_;
  if (reservation_.TryResize(bytes)) return true;
  if (bytes > reservation_.bytes()) {
    reservation_.Merge(spill_.budget().ReserveOverLimit(bytes - reservation_.bytes()));
  }
  return false;
}

void GroupByPartial::Consume(const RecordBatch& batch, int64_t position) {
  switch (mode_) {
    case Mode::kOpen:
      state_->Consume(batch, position);
      if (!Account()) mode_ = Mode::kFrozen;
      return;
    case Mode::kFrozen:
      missing_.clear();
      state_->ConsumeExisting(batch, position, missing_);
      // The groups it has still grow (median keeps values): stop feeding them too.
      if (!Account()) mode_ = Mode::kClosed;
      Buffer(batch, missing_, position);
      return;
    case Mode::kClosed:
      all_rows_.resize(static_cast<size_t>(batch.num_rows()));
      for (int64_t r = 0; r < batch.num_rows(); ++r) all_rows_[static_cast<size_t>(r)] = r;
      Buffer(batch, all_rows_, position);
      return;
  }
}

void GroupByPartial::Buffer(const RecordBatch& batch, std::span<const int64_t> rows,
                            int64_t position) {
  if (rows.empty()) return;
  RecordBatch taken =
      static_cast<int64_t>(rows.size()) == batch.num_rows() ? batch : Take(batch, rows);
  if (spill_.order_sensitive()) {
    Int64Builder positions;
    positions.Reserve(static_cast<int64_t>(rows.size()));
    for (int64_t r : rows) positions.Append(position + r);
    std::vector<Array> columns;
    for (int c = 0; c < taken.num_columns(); ++c) columns.push_back(taken.column(c));
    columns.push_back(positions.Finish());
    taken = RecordBatch::Make(spill_.spill_schema(), std::move(columns), taken.num_rows());
  }
  spilled_rows_ += taken.num_rows();
  buffer_bytes_ += ByteSize(taken);
  buffer_.push_back(std::move(taken));
  // The buffer is accounted like the state; a refusal or a full buffer flushes it.
  if (!Account() || buffer_bytes_ >= spill_.flush_bytes()) Flush();
}

void GroupByPartial::FinishInput() {
  if (!buffer_.empty()) Flush();
}

void GroupByPartial::Flush() {
  RecordBatch all = buffer_.size() == 1 ? buffer_[0] : Concat(buffer_);
  buffer_.clear();
  const int partitions = spill_.partitions();
  std::vector<uint64_t> hashes(static_cast<size_t>(all.num_rows()));
  HashRows(all, state_->key_columns(), hashes);
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(partitions));
  for (int64_t r = 0; r < all.num_rows(); ++r) {
    rows[static_cast<size_t>(PartitionOf(hashes[static_cast<size_t>(r)], partitions))].push_back(r);
  }
  GroupBySpillRun run;
  run.block_of_partition.assign(static_cast<size_t>(partitions), -1);
  run.rows_of_partition.assign(static_cast<size_t>(partitions), 0);
  run.bytes_of_partition.assign(static_cast<size_t>(partitions), 0);
  SpillRunWriter writer(spill_.directory(), "groupby", spill_.spill_schema());
  int block = 0;
  for (int p = 0; p < partitions; ++p) {
    const auto& mine = rows[static_cast<size_t>(p)];
    if (mine.empty()) continue;
    RecordBatch part = Take(all, mine);
    writer.Write(part);
    run.block_of_partition[static_cast<size_t>(p)] = block++;
    run.rows_of_partition[static_cast<size_t>(p)] = part.num_rows();
    run.bytes_of_partition[static_cast<size_t>(p)] = ByteSize(part);
  }
  run.run = writer.Finish();
  runs_.push_back(std::move(run));
  buffer_bytes_ = 0;
  Account();
}

}  // namespace sluice
