#include "sluice/ops/join/join_build_size.h"

#include <algorithm>

#include "sluice/base/large_pages.h"

namespace sluice {
namespace {

// Huge pages of base/large_pages.cc: blocks from kLargeAllocationBytes up are mapped in these.
constexpr int64_t kHugePage = int64_t{2} << 20;
constexpr int64_t kLargeBytes = static_cast<int64_t>(kLargeAllocationBytes);
// GroupTable (group_table.cc): its smallest table, the smallest arena block, and its slot, key
// view and hash sizes.
constexpr int64_t kMinSlots = 1024;
constexpr int64_t kMinArenaBlock = 256 << 10;
constexpr int64_t kSlotBytes = 8;
constexpr int64_t kKeyViewBytes = 16;
constexpr int64_t kHashBytes = 8;
// JoinTable (join_table.cc): keys are encoded this many rows at a time.
constexpr int64_t kChunkRows = 1 << 14;

int64_t SlotsFor(int64_t groups) {
  int64_t slots = kMinSlots;
  while (slots < 2 * groups + 1) slots *= 2;
  return slots;
}

}  // namespace

int64_t ResidentBytes(int64_t bytes) {
  if (bytes < kLargeBytes) return bytes;
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

int64_t EncodedKeyBytes(const RecordBatch& batch, const std::vector<int>& keys) {
  const int64_t rows = batch.num_rows();
  int64_t total = 0;
  for (int c : keys) {
    const Array& a = batch.column(c);
    const DataType& type = a.type();
    if (type.layout() == Layout::kVariableBinary) {
      const int32_t* offsets = a.raw_offsets();
      total += rows * 5 + (offsets[a.offset() + rows] - offsets[a.offset()]);
    } else {
      total += rows * (1 + (type.id() == TypeId::kBool ? 1 : type.byte_width()));
    }
  }
  return total;
}

void JoinBuildSize::Add(const RecordBatch& batch, const std::vector<int>& keys) {
  if (batch.num_rows() == 0) return;
  rows += batch.num_rows();
  bytes += ByteSize(batch);
  key_bytes += EncodedKeyBytes(batch, keys);
  column_bytes.resize(static_cast<size_t>(batch.num_columns()), 0);
  for (int c = 0; c < batch.num_columns(); ++c) {
    column_bytes[static_cast<size_t>(c)] += ByteSize(batch.column(c));
  }
}

void JoinBuildSize::Merge(const JoinBuildSize& other) {
  rows += other.rows;
  bytes += other.bytes;
  key_bytes += other.key_bytes;
  column_bytes.resize(std::max(column_bytes.size(), other.column_bytes.size()), 0);
  for (size_t c = 0; c < other.column_bytes.size(); ++c) column_bytes[c] += other.column_bytes[c];
}

int64_t JoinBuildSize::max_column_bytes() const {
  return column_bytes.empty() ? 0 : *std::max_element(column_bytes.begin(), column_bytes.end());
}

int64_t JoinBuildSize::TableBytes(bool tracks_matches) const {
  // The rows, concatenated column by column: each column's buffers (a string column has two
  // that may be large), and while one column is concatenated, its new copy beside the old.
  int64_t rows_resident = 0;
  for (int64_t b : column_bytes)
    rows_resident += ResidentBytes(b) + (b >= kLargeBytes ? kHugePage : 0);
  const int64_t max_column = max_column_bytes();
  const int64_t concat = ResidentBytes(max_column) + (max_column >= kLargeBytes ? kHugePage : 0);
  // The GroupTable, reserved for every row being a distinct key.
  const int64_t slots = ResidentBytes(SlotsFor(rows) * kSlotBytes);
  const int64_t views = ResidentBytes(rows * kKeyViewBytes);
  const int64_t hashes = ResidentBytes(rows * kHashBytes);
  // Arena blocks grow by a quarter of the arena (at least 256 KiB); blocks of 4 MiB and more
  // (arenas past 16 MiB) waste up to a huge page each, less than a quarter of the arena.
  int64_t arena = key_bytes + std::max(kMinArenaBlock, key_bytes / 4);
  if (key_bytes >= 4 * kLargeBytes) arena += key_bytes / 4;
  // Chains (head per group, link per row) and matched flags.
  const int64_t chains = 2 * ResidentBytes(rows * 8) + (tracks_matches ? ResidentBytes(rows) : 0);
  // Encoding scratch: one chunk of keys with offsets, cursors, hashes and null flags.
  const int64_t chunk = std::min(rows, kChunkRows);
  const int64_t scratch =
      chunk * (rows > 0 ? (key_bytes + rows - 1) / rows : 0) + chunk * (4 + 4 + 8 + 1);
  // The columns are concatenated before the table is built.
  return rows_resident + std::max(concat, slots + views + hashes + arena + chains + scratch);
}

}  // namespace sluice
