#include "sluice/ops/sort/top_n_table.h"

#include <algorithm>
#include <type_traits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/hash.h"

namespace sluice {
namespace {

constexpr uint64_t kNullTie = uint64_t{1} << 63;
// Positions at or above this would collide with the null bit or the empty slot's tie.
constexpr int64_t kPositionLimit = int64_t{1} << 62;

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

// Whether a column's values rank as one 64-bit integer (the fast path).
bool RanksAsInteger(const DataType& type) {
  if (type.id() == TypeId::kBool) return true;
  if (type.id() == TypeId::kDecimal128) return false;
  return DispatchFixedWidth(type, [](auto) {});
}

// The first 8 bytes of a key, big-endian, zero-padded.
uint64_t HeadOf(std::string_view key) {
  uint64_t head = 0;
  std::memcpy(&head, key.data(), std::min<size_t>(key.size(), 8));
  return __builtin_bswap64(head);
}

}  // namespace

TopNTable::TopNTable(std::shared_ptr<const Schema> schema, const std::vector<std::string>& groups,
                     const std::vector<SortKey>& order, int64_t n, Path path)
    : schema_(std::move(schema)),
      group_columns_(GroupColumns(*schema_, groups)),
      group_encoder_(TypesOf(*schema_, group_columns_)),
      order_encoder_(*schema_, order),
      n_(n),
      rows_(schema_) {
  if (n < 1) throw InvalidArgument("top-N needs N >= 1, not {}", n);
  if (path == Path::kAuto && order.size() == 1 &&
      RanksAsInteger(schema_->field(order_encoder_.columns()[0]).type)) {
    fast_column_ = order_encoder_.columns()[0];
    fast_descending_ = order[0].descending;
  }
}

void TopNTable::Consume(const RecordBatch& batch, int64_t first_position) {
  SLUICE_CHECK_GE(first_position, 0);
  positions_.resize(static_cast<size_t>(batch.num_rows()));
  for (size_t r = 0; r < positions_.size(); ++r) {
    positions_[r] = first_position + static_cast<int64_t>(r);
  }
  std::vector<int64_t> positions = std::move(positions_);
  Consume(batch, positions);
  positions_ = std::move(positions);
}

void TopNTable::AssignGroups(const RecordBatch& batch) {
  const size_t rows = static_cast<size_t>(batch.num_rows());
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
  const size_t slots = static_cast<size_t>(table_.num_groups() * n_);
  if (ranks_.size() < slots) {
    // Geometric, so the cells' columns grow O(log groups) times.
    const size_t room = std::max(slots, 2 * ranks_.size());
    const size_t old = ranks_.size();
    ranks_.resize(room, Rank{kEmpty, kEmpty});
    cells_.resize(room);
    for (size_t s = old; s < room; ++s) cells_[s] = SlotCell{static_cast<uint32_t>(s), kNone};
    if (!fast_path()) tails_.resize(room);
    rows_.Resize(static_cast<int64_t>(room));
  }
}

void TopNTable::RankFast(const RecordBatch& batch, std::span<const int64_t> positions) {
  const Array& a = batch.column(fast_column_);
  const size_t rows = static_cast<size_t>(batch.num_rows());
  row_ranks_.resize(rows);
  Rank* out = row_ranks_.data();
  const bool descending = fast_descending_;
  if (a.type().id() == TypeId::kBool) {
    for (size_t r = 0; r < rows; ++r) {
      const bool bit = a.BoolValue(static_cast<int64_t>(r));
      out[r] = Rank{static_cast<uint64_t>(bit != descending), static_cast<uint64_t>(positions[r])};
    }
  } else {
    DispatchFixedWidth(a.type(), [&]<typename T>(T) {
      if constexpr (!std::is_same_v<T, Decimal128>) {
        for (size_t r = 0; r < rows; ++r) {
          auto bits = NormalizeSortValue(a.Value<T>(static_cast<int64_t>(r)));
          if (descending) bits = static_cast<decltype(bits)>(~bits);
          out[r] = Rank{static_cast<uint64_t>(bits), static_cast<uint64_t>(positions[r])};
        }
      }
    });
  }
  if (a.null_count() > 0) {
    for (size_t r = 0; r < rows; ++r) {
      if (a.IsNull(static_cast<int64_t>(r))) out[r] = Rank{UINT64_MAX, out[r].tie | kNullTie};
    }
  }
}

Array TopNTable::RankGeneral(const RecordBatch& batch, std::span<const int64_t> positions) {
  Array keys = order_encoder_.Encode(batch, /*with_positions=*/false);
  const size_t rows = static_cast<size_t>(batch.num_rows());
  row_ranks_.resize(rows);
  row_tails_.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const std::string_view key = keys.BinaryValue(static_cast<int64_t>(r));
    row_ranks_[r] = Rank{HeadOf(key), static_cast<uint64_t>(positions[r])};
    row_tails_[r] = key.size() > 8 ? key.substr(8) : std::string_view();
  }
  return keys;
}

void TopNTable::Consume(const RecordBatch& batch, std::span<const int64_t> positions) {
  const size_t rows = static_cast<size_t>(batch.num_rows());
  SLUICE_CHECK_EQ(positions.size(), rows);
  if (rows == 0) return;
  int64_t any_bits = 0;
  for (int64_t p : positions) any_bits |= p;
  SLUICE_CHECK(any_bits >= 0 && any_bits < kPositionLimit);
  AssignGroups(batch);
  touched_.clear();
  if (fast_path()) {
    RankFast(batch, positions);
    Place<false>(rows);
  } else {
    const Array keys = RankGeneral(batch, positions);
    Place<true>(rows);
  }
  CopyPending(batch);
}

template <bool kTails>
void TopNTable::Place(size_t rows) {
  const size_t n = static_cast<size_t>(n_);
  Rank* ranks = ranks_.data();
  // Whether the row (rank, tail) goes before slot s.
  auto before = [&](const Rank& rank, std::string_view tail, size_t s) {
    const Rank& slot = ranks[s];
    if constexpr (kTails) {
      if (rank.head == slot.head && slot.tie != kEmpty) {
        const int c = CompareSortKeys(tail, tails_[s]);
        if (c != 0) return c < 0;
      }
    }
    return Before(rank, slot);
  };
  constexpr size_t kAhead = 16;
  for (size_t r = 0; r < rows; ++r) {
    if (r + kAhead < rows) __builtin_prefetch(&ranks[groups_[r + kAhead] * n + n - 1]);
    const size_t first = groups_[r] * n;
    const Rank rank = row_ranks_[r];
    const std::string_view tail = kTails ? row_tails_[r] : std::string_view();
    if (!before(rank, tail, first + n - 1)) continue;
    // The last slot's row leaves (or the slot was empty): the row takes its cell.
    size_t i = first + n - 1;
    const uint32_t cell = cells_[i].cell;
    for (; i > first && before(rank, tail, i - 1); --i) {
      ranks[i] = ranks[i - 1];
      cells_[i] = cells_[i - 1];
      if constexpr (kTails) tails_[i].swap(tails_[i - 1]);
    }
    ranks[i] = rank;
    cells_[i] = SlotCell{cell, static_cast<uint32_t>(r)};
    if constexpr (kTails) tails_[i].assign(tail);
    touched_.push_back(groups_[r]);
  }
}

// Copies the rows that are still in a group into their cells.
void TopNTable::CopyPending(const RecordBatch& batch) {
  const size_t n = static_cast<size_t>(n_);
  copy_rows_.clear();
  copy_cells_.clear();
  for (uint32_t g : touched_) {
    for (size_t s = g * n; s < (g + 1) * n; ++s) {
      if (cells_[s].pending == kNone) continue;
      copy_rows_.push_back(cells_[s].pending);
      copy_cells_.push_back(cells_[s].cell);
      cells_[s].pending = kNone;
    }
  }
  if (!copy_rows_.empty()) rows_.Scatter(batch, copy_rows_, copy_cells_);
}

int64_t TopNTable::num_rows() const {
  int64_t rows = 0;
  for (const Rank& rank : ranks_) rows += rank.tie != kEmpty;
  return rows;
}

void TopNTable::LiveCells(int64_t group, std::vector<uint32_t>& cells) const {
  const size_t n = static_cast<size_t>(n_);
  for (size_t s = static_cast<size_t>(group) * n; s < static_cast<size_t>(group + 1) * n; ++s) {
    if (ranks_[s].tie == kEmpty) break;
    cells.push_back(cells_[s].cell);
  }
}

std::vector<TopNTable::Piece> TopNTable::Seal(int partitions) const {
  SLUICE_CHECK_GT(partitions, 0);
  std::vector<std::vector<uint32_t>> cells(static_cast<size_t>(partitions));
  std::vector<std::vector<int64_t>> positions(static_cast<size_t>(partitions));
  const size_t n = static_cast<size_t>(n_);
  for (int64_t g = 0; g < num_groups(); ++g) {
    const size_t p = static_cast<size_t>(PartitionOf(table_.hash(g), partitions));
    const size_t first = cells[p].size();
    LiveCells(g, cells[p]);
    for (size_t i = 0; i < cells[p].size() - first; ++i) {
      positions[p].push_back(
          static_cast<int64_t>(ranks_[static_cast<size_t>(g) * n + i].tie & ~kNullTie));
    }
  }
  std::vector<Piece> pieces;
  for (size_t p = 0; p < cells.size(); ++p) {
    pieces.push_back(Piece{rows_.Gather(cells[p]), std::move(positions[p])});
  }
  return pieces;
}

RecordBatch TopNTable::Finish() const {
  std::vector<uint32_t> cells;
  for (int64_t g = 0; g < num_groups(); ++g) LiveCells(g, cells);
  return rows_.Gather(cells);
}

int64_t TopNTable::ByteSize() const {
  int64_t bytes =
      table_.ByteSize() + rows_.ByteSize() +
      static_cast<int64_t>(ranks_.capacity() * sizeof(Rank) + cells_.capacity() * sizeof(SlotCell) +
                           tails_.capacity() * sizeof(std::string));
  for (const std::string& t : tails_) {
    if (t.capacity() > 15) bytes += static_cast<int64_t>(t.capacity());
  }
  return bytes;
}

}  // namespace sluice
