#include "sluice/ops/sort/row_gather.h"

#include <cstring>
#include <limits>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/ops/take_from_many.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/allocator.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/short_copy.h"

namespace sluice {
namespace {

// Rows ahead whose values a gather prefetches.
constexpr size_t kPrefetchDistance = 16;

std::unique_ptr<Buffer> NewBuffer(int64_t bytes) {
  std::unique_ptr<Buffer> buffer = Allocator::Default()->Allocate(std::max<int64_t>(bytes, 1));
  buffer->set_size(bytes);
  return buffer;
}

// The validity bitmap of the gathered column, or null when every picked value is valid.
std::shared_ptr<const Buffer> GatherValidity(std::span<const Array* const> columns,
                                             std::span<const RowRef> rows, int64_t* null_count) {
  *null_count = 0;
  bool any = false;
  for (const Array* a : columns) any = any || a->null_count() != 0;
  if (!any) return nullptr;
  // Per source: its bitmap and the bit of its row 0 (null bitmap: all valid).
  std::vector<const uint8_t*> bits_of(columns.size());
  std::vector<int64_t> first_bit(columns.size());
  for (size_t s = 0; s < columns.size(); ++s) {
    bits_of[s] = columns[s]->null_count() != 0 ? columns[s]->validity() : nullptr;
    first_bit[s] = columns[s]->offset();
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(n));
  uint8_t* out = bits->mutable_data();
  std::memset(out, 0, static_cast<size_t>(BitmapBytes(n)));
  int64_t valid = 0;
  for (int64_t i = 0; i < n; ++i) {
    const RowRef& ref = rows[static_cast<size_t>(i)];
    const uint8_t* in = bits_of[ref.source];
    const bool v = in == nullptr || GetBit(in, first_bit[ref.source] + ref.row);
    out[i >> 3] |= static_cast<uint8_t>(v) << (i & 7);
    valid += v;
  }
  *null_count = n - valid;
  if (*null_count == 0) return nullptr;
  return bits;
}

template <typename T>
std::shared_ptr<const Buffer> GatherFixed(std::span<const Array* const> columns,
                                          std::span<const RowRef> rows) {
  std::unique_ptr<Buffer> values = NewBuffer(static_cast<int64_t>(rows.size() * sizeof(T)));
  T* out = values->mutable_data_as<T>();
  // Per source, its row 0 (unaligned reads through memcpy).
  std::vector<const uint8_t*> base(columns.size());
  for (size_t s = 0; s < columns.size(); ++s) {
    base[s] = columns[s]->raw_values() + columns[s]->offset() * static_cast<int64_t>(sizeof(T));
  }
  const uint8_t* const* bases = base.data();
  const size_t n = rows.size();
  const RowRef* refs = rows.data();
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) {
      const RowRef& ahead = refs[i + kPrefetchDistance];
      __builtin_prefetch(bases[ahead.source] + size_t{ahead.row} * sizeof(T));
    }
    std::memcpy(&out[i], bases[refs[i].source] + size_t{refs[i].row} * sizeof(T), sizeof(T));
  }
  return values;
}

Array GatherStrings(const DataType& type, std::span<const Array* const> columns,
                    std::span<const RowRef> rows, const std::string& name,
                    std::shared_ptr<const Buffer> validity, int64_t nulls) {
  const int64_t n = static_cast<int64_t>(rows.size());
  std::vector<const int32_t*> offsets_of(columns.size());
  std::vector<const uint8_t*> data_of(columns.size());
  for (size_t s = 0; s < columns.size(); ++s) {
    offsets_of[s] = columns[s]->raw_offsets() + columns[s]->offset();
    data_of[s] = columns[s]->raw_data();
  }
  std::unique_ptr<Buffer> offsets = NewBuffer((n + 1) * 4);
  int32_t* offset = offsets->mutable_data_as<int32_t>();
  // The lengths first (into the offsets) with where each value starts, then the bytes; each
  // pass prefetches what it reads a few rows ahead (the rows are scattered over the sources).
  std::vector<const uint8_t*> starts(static_cast<size_t>(n));
  int64_t bytes = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i + static_cast<int64_t>(kPrefetchDistance) < n) {
      const RowRef& ahead = rows[static_cast<size_t>(i) + kPrefetchDistance];
      __builtin_prefetch(offsets_of[ahead.source] + ahead.row);
    }
    const RowRef& ref = rows[static_cast<size_t>(i)];
    const int32_t* o = offsets_of[ref.source] + ref.row;
    const int64_t length = o[1] - o[0];
    starts[static_cast<size_t>(i)] = data_of[ref.source] + o[0];
    offset[i] = static_cast<int32_t>(bytes);
    bytes += length;
    if (bytes > std::numeric_limits<int32_t>::max()) {
      throw InvalidArgument("a sorted batch's strings exceed 2 GiB").With("column", name);
    }
  }
  offset[n] = static_cast<int32_t>(bytes);
  std::unique_ptr<Buffer> data = NewBuffer(bytes);
  uint8_t* out = data->mutable_data();
  for (int64_t i = 0; i < n; ++i) {
    if (i + static_cast<int64_t>(kPrefetchDistance) < n) {
      __builtin_prefetch(starts[static_cast<size_t>(i) + kPrefetchDistance]);
    }
    CopyShort(out + offset[i], starts[static_cast<size_t>(i)],
              static_cast<size_t>(offset[i + 1] - offset[i]));
  }
  return Array::Make(type, n, {std::move(validity), std::move(offsets), std::move(data)}, nulls);
}

Array GatherColumn(const DataType& type, std::span<const Array* const> columns,
                   std::span<const RowRef> rows, const std::string& name) {
  if (type.is_nested()) {
    std::vector<SourceRow> picks(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) picks[i] = {rows[i].source, rows[i].row};
    return TakeFromMany(columns, picks);
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  int64_t nulls = 0;
  std::shared_ptr<const Buffer> validity = GatherValidity(columns, rows, &nulls);
  if (type.id() == TypeId::kBool) {
    std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(n));
    uint8_t* out = bits->mutable_data();
    std::memset(out, 0, static_cast<size_t>(BitmapBytes(n)));
    for (int64_t i = 0; i < n; ++i) {
      const RowRef& ref = rows[static_cast<size_t>(i)];
      if (columns[ref.source]->BoolValue(ref.row)) SetBit(out, i);
    }
    return Array::Make(type, n, {validity, std::move(bits)}, nulls);
  }
  if (type.layout() == Layout::kVariableBinary) {
    return GatherStrings(type, columns, rows, name, std::move(validity), nulls);
  }
  if (type.id() == TypeId::kFixedSizeBinary) {
    const int64_t width = type.byte_width();
    std::unique_ptr<Buffer> values = NewBuffer(n * width);
    uint8_t* out = values->mutable_data();
    for (int64_t i = 0; i < n; ++i) {
      const RowRef& ref = rows[static_cast<size_t>(i)];
      const Array& in = *columns[ref.source];
      std::memcpy(out + i * width, in.raw_values() + (in.offset() + ref.row) * width,
                  static_cast<size_t>(width));
    }
    return Array::Make(type, n, {validity, std::move(values)}, nulls);
  }
  std::shared_ptr<const Buffer> values;
  DispatchFixedWidth(type, [&]<typename T>(T) { values = GatherFixed<T>(columns, rows); });
  return Array::Make(type, n, {validity, std::move(values)}, nulls);
}

}  // namespace

RecordBatch GatherRows(const std::shared_ptr<const Schema>& schema,
                       std::span<const RecordBatch> sources, std::span<const RowRef> rows) {
  std::vector<Array> columns;
  std::vector<const Array*> inputs(sources.size());
  for (int c = 0; c < schema->num_fields(); ++c) {
    for (size_t s = 0; s < sources.size(); ++s) inputs[s] = &sources[s].column(c);
    columns.push_back(GatherColumn(schema->field(c).type, inputs, rows, schema->field(c).name));
  }
  return RecordBatch::Make(schema, std::move(columns), static_cast<int64_t>(rows.size()));
}

}  // namespace sluice
