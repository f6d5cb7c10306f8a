#include "sluice/ops/sort/chunk_sorter.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "sluice/base/check.h"
#include "sluice/ops/sort/sort_key_encoder.h"

namespace sluice {
namespace {

// A row to order: its key's first 8 bytes (big-endian, zero-padded) and where it is.
struct Keyed {
  uint64_t prefix;
  RowRef ref;
};

static_assert(2 * sizeof(Keyed) == kSortEntryBytes);

// Runs of tied prefixes up to this long are sorted by comparing whole keys; longer ones are
// radix-sorted by their keys' next 8 bytes, down to this many bytes into the keys.
constexpr size_t kComparedRun = 64;
constexpr int kRadixDepths = 4;

// Orders a chunk's rows: a stable LSD radix sort by 8 key bytes (a pass per byte that differs
// between the rows), then each run of rows whose 8 bytes tie by the next 8, and so on; short
// runs and deep ones by whole keys.
class ChunkOrder {
 public:
  ChunkOrder(const std::shared_ptr<const Schema>& keyed_schema,
             std::span<const RecordBatch> batches) {
    const int key_column = keyed_schema->num_fields() - 1;
    size_t total = 0;
    for (const RecordBatch& b : batches) total += static_cast<size_t>(b.num_rows());
    rows_.reserve(total);
    for (size_t s = 0; s < batches.size(); ++s) {
      const Array& keys = batches[s].column(key_column);
      keys_.emplace_back(keys);
      for (int64_t r = 0; r < keys.length(); ++r) {
        rows_.push_back(Keyed{0, RowRef{static_cast<uint32_t>(s), static_cast<uint32_t>(r)}});
      }
    }
    skip_ = SharedChunkBytes();
    for (Keyed& k : rows_) k.prefix = PrefixAt(k.ref, 0);
  }

  std::vector<RowRef> Sorted(size_t keep) {
    scratch_.resize(rows_.size());
    SortRange(0, rows_.size(), 0);
    std::vector<RowRef> order(std::min(keep, rows_.size()));
    for (size_t i = 0; i < order.size(); ++i) order[i] = rows_[i].ref;
    return order;
  }

 private:
  std::string_view KeyOf(RowRef ref) const { return keys_[ref.source].key(ref.row); }

  // Key bytes [skip + 8 * depth, skip + 8 * depth + 8).
  uint64_t PrefixAt(RowRef ref, int depth) const {
    return SortKeyPrefix(KeyOf(ref), skip_ + static_cast<size_t>(8 * depth));
  }

  // How many leading bytes every key of the chunk shares. Radix passes start past them: a small
  // integer key shares its flag and high bytes, and would otherwise tie on its whole first
  // prefix, leaving every order to the runs of ties.
  size_t SharedChunkBytes() const {
    if (rows_.empty()) return 0;
    const std::string_view first = KeyOf(rows_[0].ref);
    size_t shared = first.size();
    for (const Keyed& k : rows_) {
      shared = SharedKeyBytes(first.substr(0, shared), KeyOf(k.ref));
      if (shared == 0) break;
    }
    // A key equal to the shared bytes still sorts before longer ones: the zero padding of
    // SortKeyPrefix past its end keeps that order.
    return shared;
  }

  // Rows [first, last) radix-sorted by prefix, then their ties at the next depth.
  void SortRange(size_t first, size_t last, int depth) {
    RadixSort(first, last);
    for (size_t i = first; i < last;) {
      size_t j = i + 1;
      while (j < last && rows_[j].prefix == rows_[i].prefix) ++j;
      if (j - i > 1) SortTies(i, j, depth + 1);
      i = j;
    }
  }

  void SortTies(size_t first, size_t last, int depth) {
    if (last - first <= kComparedRun || depth >= kRadixDepths) {
      std::sort(rows_.begin() + static_cast<std::ptrdiff_t>(first),
                rows_.begin() + static_cast<std::ptrdiff_t>(last),
                [this](const Keyed& a, const Keyed& b) {
                  return CompareSortKeys(KeyOf(a.ref), KeyOf(b.ref)) < 0;
                });
      return;
    }
    for (size_t i = first; i < last; ++i) rows_[i].prefix = PrefixAt(rows_[i].ref, depth);
    SortRange(first, last, depth);
  }

  void RadixSort(size_t first, size_t last) {
    const size_t n = last - first;
    if (n < 2) return;
    std::array<std::array<uint32_t, 256>, 8> counts{};
    for (size_t i = first; i < last; ++i) {
      const uint64_t prefix = rows_[i].prefix;
#pragma GCC unroll 8
      for (int b = 0; b < 8; ++b) ++counts[b][(prefix >> (8 * b)) & 0xff];
    }
    Keyed* from = rows_.data() + first;
    Keyed* to = scratch_.data() + first;
    for (int b = 0; b < 8; ++b) {
      std::array<uint32_t, 256>& at = counts[b];
      if (at[(from[0].prefix >> (8 * b)) & 0xff] == n) continue;  // a byte all rows share
      uint32_t sum = 0;
      for (uint32_t& c : at) sum += std::exchange(c, sum);
      for (size_t i = 0; i < n; ++i) to[at[(from[i].prefix >> (8 * b)) & 0xff]++] = from[i];
      std::swap(from, to);
    }
    if (from != rows_.data() + first) std::copy(from, from + n, rows_.data() + first);
  }

  std::vector<SortKeyColumn> keys_;  // by batch
  size_t skip_ = 0;                  // leading bytes every key shares
  std::vector<Keyed> rows_;
  std::vector<Keyed> scratch_;  // the radix sort's second buffer
};

}  // namespace

std::vector<RowRef> SortChunkOrder(const std::shared_ptr<const Schema>& keyed_schema,
                                   std::span<const RecordBatch> batches, int64_t limit) {
  ChunkOrder order(keyed_schema, batches);
  return order.Sorted(limit >= 0 ? static_cast<size_t>(limit) : SIZE_MAX);
}

void EmitInOrder(const std::shared_ptr<const Schema>& schema, std::span<const RecordBatch> batches,
                 std::span<const RowRef> order, int64_t batch_rows,
                 const std::function<void(RecordBatch)>& emit) {
  SLUICE_CHECK_GT(batch_rows, 0);
  for (size_t at = 0; at < order.size(); at += static_cast<size_t>(batch_rows)) {
    const size_t n = std::min(order.size() - at, static_cast<size_t>(batch_rows));
    emit(GatherRows(schema, batches, order.subspan(at, n)));
  }
}

}  // namespace sluice
