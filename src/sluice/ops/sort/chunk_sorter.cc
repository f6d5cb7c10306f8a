#include "sluice/ops/sort/chunk_sorter.h"

#include <algorithm>
#include <cstring>

#include "sluice/base/check.h"
#include "sluice/ops/sort/sort_key_encoder.h"

namespace sluice {
namespace {

struct Entry {
  uint64_t prefix;  // the key's first 8 bytes, big-endian, zero-padded
  const uint8_t* key;
  uint32_t length;
  RowRef ref;
};

static_assert(sizeof(Entry) == kSortEntryBytes);

uint64_t Prefix(const uint8_t* key, uint32_t length) {
  uint64_t word = 0;
  std::memcpy(&word, key, std::min<uint32_t>(length, 8));
  return __builtin_bswap64(word);
}

// memcmp order of the whole keys.
inline bool Less(const Entry& a, const Entry& b) {
  if (a.prefix != b.prefix) return a.prefix < b.prefix;
  if (a.length <= 8 || b.length <= 8) return a.length < b.length;
  return CompareSortKeys(std::string_view(reinterpret_cast<const char*>(a.key) + 8, a.length - 8),
                         std::string_view(reinterpret_cast<const char*>(b.key) + 8, b.length - 8)) <
         0;
}

}  // namespace

std::vector<RowRef> SortChunkOrder(const std::shared_ptr<const Schema>& keyed_schema,
                                   std::span<const RecordBatch> batches, int64_t limit) {
  const int key_column = keyed_schema->num_fields() - 1;
  size_t rows = 0;
  for (const RecordBatch& b : batches) rows += static_cast<size_t>(b.num_rows());
  std::vector<Entry> entries;
  entries.reserve(rows);
  for (size_t s = 0; s < batches.size(); ++s) {
    const Array& keys = batches[s].column(key_column);
    const int32_t* offsets = keys.raw_offsets() + keys.offset();
    const uint8_t* data = keys.raw_data();
    for (int64_t r = 0; r < keys.length(); ++r) {
      const uint8_t* key = data + offsets[r];
      const uint32_t length = static_cast<uint32_t>(offsets[r + 1] - offsets[r]);
      entries.push_back(Entry{Prefix(key, length), key, length,
                              RowRef{static_cast<uint32_t>(s), static_cast<uint32_t>(r)}});
    }
  }
  auto end = entries.end();
  if (limit >= 0 && static_cast<size_t>(limit) < entries.size()) {
    end = entries.begin() + limit;
    std::nth_element(entries.begin(), end, entries.end(),
                     [](const Entry& a, const Entry& b) { return Less(a, b); });
  }
  std::sort(entries.begin(), end, [](const Entry& a, const Entry& b) { return Less(a, b); });
  std::vector<RowRef> order(static_cast<size_t>(end - entries.begin()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = entries[i].ref;
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
