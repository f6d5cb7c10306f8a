#include "sluice/ops/sort/top_n_table.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

constexpr uint64_t kNullTie = uint64_t{1} << 63;

std::vector<int> ColumnIndices(const Schema& schema, const std::vector<std::string>& names,
                               std::string_view what) {
  std::vector<int> columns;
  for (const std::string& name : names) {
    std::optional<int> index = schema.FieldIndex(name);
    if (!index) throw NotFound("unknown {} column '{}'", what, name).With("column", name);
    CheckFlatKey(schema.field(*index), fmt::format("the {} key", what));
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
      group_columns_(ColumnIndices(*schema_, groups, "group")),
      group_encoder_(TypesOf(*schema_, group_columns_)),
      order_encoder_(*schema_, order),
      n_(n),
      direct_(group_encoder_.types()) {
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

void TopNTable::HashAndEncode(std::span<const Array* const> keys) {
  const size_t rows = static_cast<size_t>(keys[0]->length());
  hashes_.resize(rows);
  // table/hash.h's row hash, column by column (HashRows over the key columns).
  HashArray(*keys[0], hashes_);
  for (size_t k = 1; k < keys.size(); ++k) HashArrayCombine(*keys[k], hashes_);
  group_encoder_.Encode(keys);
  keys_.resize(rows);
  for (size_t r = 0; r < rows; ++r) keys_[r] = group_encoder_.key(static_cast<int64_t>(r));
}

void TopNTable::AssignGroups(const RecordBatch& batch) {
  const size_t rows = static_cast<size_t>(batch.num_rows());
  groups_.resize(rows);
  if (group_columns_.empty()) {
    if (table_.num_groups() == 0) table_.FindOrInsert(0, {});
    std::fill(groups_.begin(), groups_.end(), 0);
  } else {
    key_arrays_.clear();
    for (int c : group_columns_) key_arrays_.push_back(&batch.column(c));
    const int64_t misses = direct_.Lookup(key_arrays_, groups_);
    if (!direct_.enabled() || 2 * misses > static_cast<int64_t>(rows)) {
      HashAndEncode(key_arrays_);
      table_.FindOrInsert(hashes_, keys_, groups_);
      if (direct_.enabled()) {
        for (size_t r = 0; r < rows; ++r) direct_.Record(static_cast<int64_t>(r), groups_[r]);
      }
    } else if (misses > 0) {
      // Few misses (keys not seen yet): only those rows are hashed and encoded.
      missing_.clear();
      for (size_t r = 0; r < rows; ++r) {
        if (groups_[r] == DirectKeyIndex::kMiss) missing_.push_back(static_cast<int64_t>(r));
      }
      taken_keys_.clear();
      for (const Array* a : key_arrays_) taken_keys_.push_back(Take(*a, missing_));
      key_arrays_.clear();
      for (const Array& a : taken_keys_) key_arrays_.push_back(&a);
      HashAndEncode(key_arrays_);
      for (size_t i = 0; i < missing_.size(); ++i) {
        const uint32_t g = table_.FindOrInsert(hashes_[i], keys_[i]);
        groups_[static_cast<size_t>(missing_[i])] = g;
        direct_.Record(missing_[i], g);
      }
    }
  }
  AddSlots();
}

void TopNTable::AddSlots() {
  const size_t slots = static_cast<size_t>(table_.num_groups() * n_);
  if (slots_.size() >= slots) return;
  // Geometric, so the slots grow O(log groups) times.
  const size_t room = std::max(slots, 2 * slots_.size());
  const size_t old = slots_.size();
  slots_.resize(room);
  for (size_t s = old; s < room; ++s) {
    slots_[s] = Slot{Rank{kEmpty, kEmpty}};
  }
  worst_.resize(room / static_cast<size_t>(n_), kEmpty);
  if (!fast_path()) tails_.resize(room);
}

template <typename T>
void TopNTable::FilterFast(const Array& a, size_t rows) {
  const T* values = reinterpret_cast<const T*>(a.raw_values()) + a.offset();
  using U = decltype(NormalizeSortValue(T{}));
  const U flip = fast_descending_ ? static_cast<U>(~U{0}) : U{0};
  const uint32_t* groups = groups_.data();
  const uint64_t* worst = worst_.data();
  uint64_t* heads = heads_.data();
  uint32_t* out = candidates_.data();
  size_t k = 0;
  if (a.null_count() == 0) {
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t head = static_cast<U>(NormalizeSortValue(values[r]) ^ flip);
      heads[r] = head;
      out[k] = static_cast<uint32_t>(r);
      k += head <= worst[groups[r]];
    }
  } else {
    for (size_t r = 0; r < rows; ++r) {
      uint64_t head = static_cast<U>(NormalizeSortValue(values[r]) ^ flip);
      head = a.IsValid(static_cast<int64_t>(r)) ? head : UINT64_MAX;
      heads[r] = head;
      out[k] = static_cast<uint32_t>(r);
      k += head <= worst[groups[r]];
    }
  }
  candidates_.resize(k);
}

void TopNTable::RankFast(const RecordBatch& batch, std::span<const int64_t> positions) {
  const Array& a = batch.column(fast_column_);
  const size_t rows = static_cast<size_t>(batch.num_rows());
  heads_.resize(rows);
  candidates_.resize(rows);
  if (a.type().id() == TypeId::kBool) {
    size_t k = 0;
    for (size_t r = 0; r < rows; ++r) {
      const int64_t i = static_cast<int64_t>(r);
      const uint64_t head = a.IsValid(i) ? a.BoolValue(i) != fast_descending_ : UINT64_MAX;
      heads_[r] = head;
      candidates_[k] = static_cast<uint32_t>(r);
      k += head <= worst_[groups_[r]];
    }
    candidates_.resize(k);
  } else {
    DispatchFixedWidth(a.type(), [&]<typename T>(T) {
      if constexpr (!std::is_same_v<T, Decimal128>) FilterFast<T>(a, rows);
    });
  }
  candidate_ranks_.resize(candidates_.size());
  for (size_t k = 0; k < candidates_.size(); ++k) {
    const uint32_t r = candidates_[k];
    uint64_t tie = static_cast<uint64_t>(positions[r]);
    if (a.IsNull(r)) tie |= kNullTie;
    candidate_ranks_[k] = Rank{heads_[r], tie};
  }
}

Array TopNTable::RankGeneral(const RecordBatch& batch, std::span<const int64_t> positions) {
  Array keys = order_encoder_.Encode(batch, /*with_positions=*/false);
  const size_t rows = static_cast<size_t>(batch.num_rows());
  candidates_.clear();
  candidate_ranks_.clear();
  row_tails_.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const std::string_view key = keys.BinaryValue(static_cast<int64_t>(r));
    const uint64_t head = HeadOf(key);
    if (head > worst_[groups_[r]]) continue;
    candidates_.push_back(static_cast<uint32_t>(r));
    candidate_ranks_.push_back(Rank{head, static_cast<uint64_t>(positions[r])});
    row_tails_[r] = key.size() > 8 ? key.substr(8) : std::string_view();
  }
  return keys;
}

void TopNTable::Consume(const RecordBatch& batch, std::span<const int64_t> positions) {
  const size_t rows = static_cast<size_t>(batch.num_rows());
  SLUICE_CHECK_EQ(positions.size(), rows);
  SLUICE_CHECK(!merged_);  // a table that merged does not consume
  if (rows == 0) return;
  // Below 2^63 - 1, so a null's tie (position | kNullTie) stays below an empty slot's.
  int64_t lowest = 0;
  int64_t highest = 0;
  for (int64_t p : positions) {
    lowest = std::min(lowest, p);
    highest = std::max(highest, p);
  }
  SLUICE_CHECK(lowest >= 0 && highest < std::numeric_limits<int64_t>::max());
  AssignGroups(batch);
  if (fast_path()) {
    RankFast(batch, positions);
    Place<false>();
  } else {
    const Array keys = RankGeneral(batch, positions);
    Place<true>();
  }
}

template <bool kTails>
size_t TopNTable::Open(size_t g, const Rank& rank, std::string_view tail) {
  const size_t first = g * static_cast<size_t>(n_);
  size_t i = first + static_cast<size_t>(n_) - 1;
  for (; i > first && Precedes<kTails>(rank, tail, i - 1); --i) {
    slots_[i] = slots_[i - 1];
    if constexpr (kTails) tails_[i].swap(tails_[i - 1]);
  }
  return i;
}

// The candidates (rows whose head does not exceed their group's last slot's at the batch's
// start) enter their groups in stream order, each pushing out the group's last row.
template <bool kTails>
void TopNTable::Place() {
  const size_t n = static_cast<size_t>(n_);
  constexpr size_t kAhead = 8;  // candidates' groups are scattered over the slots: fetch ahead
  for (size_t k = 0; k < candidates_.size(); ++k) {
    if (k + kAhead < candidates_.size()) {
      const size_t ahead = groups_[candidates_[k + kAhead]];
      __builtin_prefetch(&slots_[ahead * n + n - 1]);
      __builtin_prefetch(&worst_[ahead]);
    }
    const uint32_t r = candidates_[k];
    const size_t g = groups_[r];
    const Rank rank = candidate_ranks_[k];
    const size_t last = g * n + n - 1;
    const std::string_view tail = kTails ? row_tails_[r] : std::string_view();
    if (!Precedes<kTails>(rank, tail, last)) continue;
    // The last slot's row leaves (or the slot was empty).
    const size_t i = Open<kTails>(g, rank, tail);
    slots_[i] = Slot{rank};
    if constexpr (kTails) tails_[i].assign(tail);
    worst_[g] = slots_[last].rank.head;
  }
}

int64_t TopNTable::num_rows() const {
  int64_t rows = 0;
  for (const Slot& slot : slots_) rows += slot.rank.tie != kEmpty;
  return rows;
}

TopNTable::Missing TopNTable::MissingGroups(const TopNTable& other) const {
  Missing missing;
  const GroupTable& from = other.table_;
  for (int64_t og = 0; og < other.num_groups(); ++og) {
    if (table_.Find(from.hash(og), from.key(og)) >= 0) continue;
    ++missing.groups;
    missing.key_bytes += static_cast<int64_t>(from.key(og).size());
  }
  return missing;
}

TopNTable::Missing TopNTable::AllGroups() const {
  Missing all;
  all.groups = num_groups();
  for (std::string_view key : table_.keys()) all.key_bytes += static_cast<int64_t>(key.size());
  return all;
}

void TopNTable::MergeFrom(const TopNTable& other) {
  SLUICE_CHECK_EQ(other.n_, n_);
  SLUICE_CHECK_EQ(other.fast_path(), fast_path());
  merged_ = true;
  if (fast_path()) {
    Merge<false>(other);
  } else {
    Merge<true>(other);
  }
}

template <bool kTails>
void TopNTable::Merge(const TopNTable& other) {
  const GroupTable& from = other.table_;
  const size_t n = static_cast<size_t>(n_);
  const size_t groups = static_cast<size_t>(other.num_groups());
  constexpr size_t kAhead = 8;  // the probes are scattered over this table: fetch ahead
  for (size_t og = 0; og < groups; ++og) {
    if (og + kAhead < groups) {
      from.PrefetchKey(static_cast<int64_t>(og + kAhead));
      table_.PrefetchSlot(from.hash(static_cast<int64_t>(og + kAhead)));
    }
    // The key is copied: `other` may be freed once merged.
    const size_t g = table_.FindOrInsert(from.hash(static_cast<int64_t>(og)),
                                         from.key(static_cast<int64_t>(og)), /*copy_key=*/true);
    AddSlots();
    // The other group's rows, best first: once one does not enter, the rest do not either.
    for (size_t os = og * n; os < (og + 1) * n; ++os) {
      const Slot& slot = other.slots_[os];
      if (slot.rank.tie == kEmpty) break;
      const std::string_view tail = kTails ? std::string_view(other.tails_[os]) : "";
      const size_t last = g * n + n - 1;
      if (!Precedes<kTails>(slot.rank, tail, last)) break;
      const size_t i = Open<kTails>(g, slot.rank, tail);
      slots_[i] = slot;
      if constexpr (kTails) tails_[i].assign(tail);
      worst_[g] = slots_[last].rank.head;
    }
  }
}

void TopNTable::AppendPositions(std::vector<int64_t>& out) const {
  const size_t n = static_cast<size_t>(n_);
  for (size_t s = 0; s < static_cast<size_t>(num_groups()) * n; ++s) {
    if (slots_[s].rank.tie == kEmpty) {
      s = (s / n + 1) * n - 1;  // the group's other slots are empty too
      continue;
    }
    out.push_back(static_cast<int64_t>(slots_[s].rank.tie & ~kNullTie));
  }
}

int64_t TopNTable::SlotGrowthBound(int64_t new_groups) const {
  const size_t slots = static_cast<size_t>((num_groups() + new_groups) * n_);
  if (slots <= slots_.size()) return 0;
  // AddSlots' geometric growth; each array holds its old storage while it copies.
  const size_t room = std::max(slots, 2 * slots_.size());
  const size_t groups = room / static_cast<size_t>(n_);
  int64_t bytes = static_cast<int64_t>((room + slots_.capacity()) * sizeof(Slot) +
                                       (groups + worst_.capacity()) * sizeof(uint64_t));
  if (!fast_path()) bytes += static_cast<int64_t>((room + tails_.capacity()) * sizeof(std::string));
  return bytes;
}

int64_t TopNTable::GrowthBound(const RecordBatch& batch) const {
  const int64_t rows = batch.num_rows();
  if (rows == 0) return 0;
  // Consume's scratch: a few vectors of a row's worth each, and the keys it encodes.
  constexpr int64_t kScratchBytesPerRow = 160;
  int64_t bytes = rows * kScratchBytesPerRow;
  std::vector<const Array*> keys;
  for (int c : group_columns_) keys.push_back(&batch.column(c));
  const int64_t key_bytes = KeyEncoder::EncodedBytesBound(keys);
  bytes += 2 * key_bytes + table_.GrowthBound(rows, key_bytes) + SlotGrowthBound(rows);
  if (!group_columns_.empty()) bytes += direct_.LookupBytes(keys);
  if (!fast_path()) {
    // The batch's normalized order keys, and the tails of the rows that enter.
    bytes += 2 * order_encoder_.MaxEncodedBytes(batch, /*with_positions=*/false);
  }
  return bytes;
}

int64_t TopNTable::MergeGrowthBound(const Missing& missing) const {
  // General path: tails longer than a short string are copied too.
  return table_.GrowthBound(missing.groups, missing.key_bytes) + SlotGrowthBound(missing.groups) +
         (fast_path() ? 0 : missing.groups * n_ * 64);
}

int64_t TopNTable::ByteSize() const {
  int64_t bytes =
      table_.ByteSize() + direct_.ByteSize() +
      static_cast<int64_t>(slots_.capacity() * sizeof(Slot) + worst_.capacity() * sizeof(uint64_t) +
                           tails_.capacity() * sizeof(std::string));
  for (const std::string& t : tails_) {
    if (t.capacity() > 15) bytes += static_cast<int64_t>(t.capacity());
  }
  // Consume's scratch.
  auto held = [](const auto& v) {
    return static_cast<int64_t>(v.capacity() *
                                sizeof(typename std::decay_t<decltype(v)>::value_type));
  };
  bytes += group_encoder_.ByteSize() + held(key_arrays_) + held(missing_) + held(hashes_) +
           held(keys_) + held(groups_) + held(heads_) + held(candidates_) + held(candidate_ranks_) +
           held(row_tails_) + held(positions_);
  return bytes;
}

}  // namespace sluice
