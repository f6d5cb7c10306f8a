#include "sluice/ops/sort/top_n_table.h"

#include <algorithm>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

std::vector<int> GroupColumns(const Schema& schema, const std::vector<std::string>& groups) {
  std::vector<int> columns;
  for (const std::string& g : groups) {
    std::optional<int> index = schema.FieldIndex(g);
    if (!index) throw NotFound("unknown group column '{}'", g).With("column", g);
    columns.push_back(*index);
  }
  return columns;
}

std::vector<DataType> TypesOf(const Schema& schema, const std::vector<int>& columns) {
  std::vector<DataType> types;
  for (int c : columns) types.push_back(schema.field(c).type);
  return types;
}

}  // namespace

TopNTable::TopNTable(std::shared_ptr<const Schema> schema, const std::vector<std::string>& groups,
                     const std::vector<SortKey>& order, int64_t n)
    : schema_(std::move(schema)),
      group_columns_(GroupColumns(*schema_, groups)),
      group_encoder_(TypesOf(*schema_, group_columns_)),
      order_encoder_(*schema_, order),
      n_(n) {
  if (n < 1) throw InvalidArgument("top-N needs N >= 1, not {}", n);
}

void TopNTable::Consume(const RecordBatch& batch, int64_t first_position) {
  positions_.resize(static_cast<size_t>(batch.num_rows()));
  for (size_t r = 0; r < positions_.size(); ++r) {
    positions_[r] = first_position + static_cast<int64_t>(r);
  }
  std::vector<int64_t> positions = std::move(positions_);
  Consume(batch, positions);
  positions_ = std::move(positions);
}

void TopNTable::Consume(const RecordBatch& batch, std::span<const int64_t> positions) {
  const size_t rows = static_cast<size_t>(batch.num_rows());
  SLUICE_CHECK_EQ(positions.size(), rows);
  if (rows == 0) return;
  groups_.resize(rows);
  if (group_columns_.empty()) {
    if (table_.num_groups() == 0) table_.FindOrInsert(0, {});
    std::fill(groups_.begin(), groups_.end(), 0);
  } else {
    hashes_.resize(rows);
    HashRows(batch, group_columns_, hashes_);
    std::vector<const Array*> keys;
    for (int c : group_columns_) keys.push_back(&batch.column(c));
    group_encoder_.Encode(keys);
    keys_.resize(rows);
    for (size_t r = 0; r < rows; ++r) keys_[r] = group_encoder_.key(static_cast<int64_t>(r));
    table_.FindOrInsert(hashes_, keys_, groups_);
  }
  const size_t groups = static_cast<size_t>(table_.num_groups());
  if (counts_.size() < groups) {
    counts_.resize(groups, 0);
    slots_.resize(groups * static_cast<size_t>(n_));
  }
  const Array order = order_encoder_.Encode(batch, /*with_positions=*/false);
  const size_t n = static_cast<size_t>(n_);
  std::vector<uint32_t> touched;
  for (size_t r = 0; r < rows; ++r) {
    const uint32_t g = groups_[r];
    Slot* slot = &slots_[g * n];
    const std::string_view key = order.BinaryValue(static_cast<int64_t>(r));
    const int64_t position = positions[r];
    size_t count = counts_[g];
    if (count == n) {
      if (!Before(key, position, slot[n - 1])) continue;
      count = n - 1;  // the worst row leaves
    } else {
      ++counts_[g];
    }
    size_t i = count;
    for (; i > 0 && Before(key, position, slot[i - 1]); --i) slot[i] = std::move(slot[i - 1]);
    slot[i].key.assign(key);
    slot[i].position = position;
    slot[i].store = kPending;
    slot[i].row = static_cast<uint32_t>(r);
    touched.push_back(g);
  }
  // Copy the rows that are still in a group out of the batch.
  std::vector<int64_t> take;
  const uint32_t store = static_cast<uint32_t>(store_.size());
  for (uint32_t g : touched) {
    Slot* slot = &slots_[g * n];
    for (size_t i = 0; i < counts_[g]; ++i) {
      if (slot[i].store != kPending) continue;
      take.push_back(slot[i].row);
      slot[i].store = store;
      slot[i].row = static_cast<uint32_t>(take.size() - 1);
    }
  }
  if (take.empty()) return;
  store_.push_back(Take(batch, take));
  store_rows_ += static_cast<int64_t>(take.size());
  if (store_rows_ > 2 * num_rows() + 65536) Compact();
}

int64_t TopNTable::num_rows() const {
  int64_t rows = 0;
  for (uint32_t c : counts_) rows += c;
  return rows;
}

std::vector<RowRef> TopNTable::Refs(int64_t group) const {
  std::vector<RowRef> refs;
  const Slot* slot = &slots_[static_cast<size_t>(group * n_)];
  for (size_t i = 0; i < counts_[static_cast<size_t>(group)]; ++i) {
    refs.push_back(RowRef{slot[i].store, slot[i].row});
  }
  return refs;
}

void TopNTable::Compact() {
  std::vector<RowRef> refs;
  for (int64_t g = 0; g < num_groups(); ++g) {
    Slot* slot = &slots_[static_cast<size_t>(g * n_)];
    for (size_t i = 0; i < counts_[static_cast<size_t>(g)]; ++i) {
      refs.push_back(RowRef{slot[i].store, slot[i].row});
      slot[i].store = 0;
      slot[i].row = static_cast<uint32_t>(refs.size() - 1);
    }
  }
  RecordBatch live = GatherRows(schema_, store_, refs);
  store_.clear();
  store_.push_back(std::move(live));
  store_rows_ = static_cast<int64_t>(refs.size());
}

std::vector<TopNTable::Piece> TopNTable::Seal(int partitions) const {
  SLUICE_CHECK_GT(partitions, 0);
  std::vector<std::vector<RowRef>> refs(static_cast<size_t>(partitions));
  std::vector<std::vector<int64_t>> positions(static_cast<size_t>(partitions));
  for (int64_t g = 0; g < num_groups(); ++g) {
    const size_t p = static_cast<size_t>(PartitionOf(table_.hash(g), partitions));
    const Slot* slot = &slots_[static_cast<size_t>(g * n_)];
    for (size_t i = 0; i < counts_[static_cast<size_t>(g)]; ++i) {
      refs[p].push_back(RowRef{slot[i].store, slot[i].row});
      positions[p].push_back(slot[i].position);
    }
  }
  std::vector<Piece> pieces;
  for (size_t p = 0; p < refs.size(); ++p) {
    pieces.push_back(Piece{GatherRows(schema_, store_, refs[p]), std::move(positions[p])});
  }
  return pieces;
}

RecordBatch TopNTable::Finish() const {
  std::vector<RowRef> refs;
  for (int64_t g = 0; g < num_groups(); ++g) {
    std::vector<RowRef> mine = Refs(g);
    refs.insert(refs.end(), mine.begin(), mine.end());
  }
  return GatherRows(schema_, store_, refs);
}

int64_t TopNTable::ByteSize() const {
  int64_t bytes = table_.ByteSize() + static_cast<int64_t>(slots_.capacity() * sizeof(Slot) +
                                                           counts_.capacity() * sizeof(uint32_t));
  for (const Slot& s : slots_) {
    if (s.key.capacity() > 15) bytes += static_cast<int64_t>(s.key.capacity());
  }
  for (const RecordBatch& b : store_) bytes += sluice::ByteSize(b);
  return bytes;
}

}  // namespace sluice
