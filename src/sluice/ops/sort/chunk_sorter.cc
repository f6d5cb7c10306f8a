#include "sluice/ops/sort/chunk_sorter.h"

#include <algorithm>
#include <array>
#include <cstring>
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

uint64_t Prefix(const uint8_t* key, uint32_t length) {
  uint64_t word = 0;
  std::memcpy(&word, key, std::min<uint32_t>(length, 8));
  return __builtin_bswap64(word);
}

// Stable LSD radix sort by prefix, a byte a pass; a byte every key shares is not passed over.
// `scratch` is the second buffer the passes move the rows between.
void SortByPrefix(std::vector<Keyed>& rows, std::vector<Keyed>& scratch) {
  const size_t n = rows.size();
  if (n < 2) return;
  std::array<std::array<uint32_t, 256>, 8> counts{};
  for (const Keyed& k : rows) {
#pragma GCC unroll 8
    for (int b = 0; b < 8; ++b) ++counts[b][(k.prefix >> (8 * b)) & 0xff];
  }
  scratch.resize(n);
  for (int b = 0; b < 8; ++b) {
    std::array<uint32_t, 256>& at = counts[b];
    if (at[(rows[0].prefix >> (8 * b)) & 0xff] == n) continue;
    uint32_t sum = 0;
    for (uint32_t& c : at) sum += std::exchange(c, sum);
    for (const Keyed& k : rows) scratch[at[(k.prefix >> (8 * b)) & 0xff]++] = k;
    rows.swap(scratch);
  }
}

}  // namespace

std::vector<RowRef> SortChunkOrder(const std::shared_ptr<const Schema>& keyed_schema,
                                   std::span<const RecordBatch> batches, int64_t limit) {
  const int key_column = keyed_schema->num_fields() - 1;
  size_t total = 0;
  for (const RecordBatch& b : batches) total += static_cast<size_t>(b.num_rows());
  std::vector<const int32_t*> offsets_of(batches.size());
  std::vector<const uint8_t*> data_of(batches.size());
  std::vector<Keyed> rows;
  rows.reserve(total);
  for (size_t s = 0; s < batches.size(); ++s) {
    const Array& keys = batches[s].column(key_column);
    offsets_of[s] = keys.raw_offsets() + keys.offset();
    data_of[s] = keys.raw_data();
    for (int64_t r = 0; r < keys.length(); ++r) {
      const int32_t* o = offsets_of[s] + r;
      rows.push_back(Keyed{Prefix(data_of[s] + o[0], static_cast<uint32_t>(o[1] - o[0])),
                           RowRef{static_cast<uint32_t>(s), static_cast<uint32_t>(r)}});
    }
  }
  {
    std::vector<Keyed> scratch;
    SortByPrefix(rows, scratch);
  }
  // Rows whose prefixes tie are ordered by their whole keys.
  auto key_of = [&](const RowRef& ref) {
    const int32_t* o = offsets_of[ref.source] + ref.row;
    return std::string_view(reinterpret_cast<const char*>(data_of[ref.source]) + o[0],
                            static_cast<size_t>(o[1] - o[0]));
  };
  const size_t keep = limit >= 0 ? std::min(rows.size(), static_cast<size_t>(limit)) : rows.size();
  for (size_t first = 0; first < keep;) {
    size_t last = first + 1;
    while (last < rows.size() && rows[last].prefix == rows[first].prefix) ++last;
    if (last - first > 1) {
      std::sort(rows.begin() + static_cast<std::ptrdiff_t>(first),
                rows.begin() + static_cast<std::ptrdiff_t>(last),
                [&](const Keyed& a, const Keyed& b) {
                  return CompareSortKeys(key_of(a.ref), key_of(b.ref)) < 0;
                });
    }
    first = last;
  }
  std::vector<RowRef> order(keep);
  for (size_t i = 0; i < keep; ++i) order[i] = rows[i].ref;
  return order;
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
