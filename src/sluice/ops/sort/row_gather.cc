#include "sluice/ops/sort/row_gather.h"

#include <cstring>
#include <limits>

#include "sluice/base/error.h"
#include "sluice/ops/sort/short_copy.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/allocator.h"
#include "sluice/table/bitmap.h"

namespace sluice {
namespace {

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
  const int64_t n = static_cast<int64_t>(rows.size());
  std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(n));
  uint8_t* out = bits->mutable_data();
  std::memset(out, 0, static_cast<size_t>(BitmapBytes(n)));
  for (int64_t i = 0; i < n; ++i) {
    const RowRef& ref = rows[static_cast<size_t>(i)];
    if (columns[ref.source]->IsValid(ref.row)) {
      SetBit(out, i);
    } else {
      ++*null_count;
    }
  }
  if (*null_count == 0) return nullptr;
  return bits;
}

template <typename T>
std::shared_ptr<const Buffer> GatherFixed(std::span<const Array* const> columns,
                                          std::span<const RowRef> rows) {
  std::unique_ptr<Buffer> values = NewBuffer(static_cast<int64_t>(rows.size() * sizeof(T)));
  T* out = values->mutable_data_as<T>();
  for (size_t i = 0; i < rows.size(); ++i) {
    out[i] = columns[rows[i].source]->Value<T>(rows[i].row);
  }
  return values;
}

Array GatherColumn(const DataType& type, std::span<const Array* const> columns,
                   std::span<const RowRef> rows, const std::string& name) {
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
    int64_t bytes = 0;
    for (const RowRef& ref : rows) {
      bytes += static_cast<int64_t>(columns[ref.source]->BinaryValue(ref.row).size());
    }
    if (bytes > std::numeric_limits<int32_t>::max()) {
      throw InvalidArgument("a sorted batch's strings exceed 2 GiB").With("column", name);
    }
    std::unique_ptr<Buffer> offsets = NewBuffer((n + 1) * 4);
    std::unique_ptr<Buffer> data = NewBuffer(bytes);
    int32_t* offset = offsets->mutable_data_as<int32_t>();
    uint8_t* out = data->mutable_data();
    int32_t at = 0;
    offset[0] = 0;
    for (int64_t i = 0; i < n; ++i) {
      const RowRef& ref = rows[static_cast<size_t>(i)];
      const std::string_view v = columns[ref.source]->BinaryValue(ref.row);
      CopyShort(out + at, v.data(), v.size());
      at += static_cast<int32_t>(v.size());
      offset[i + 1] = at;
    }
    return Array::Make(type, n, {validity, std::move(offsets), std::move(data)}, nulls);
  }
  if (type.id() == TypeId::kFixedSizeBinary) {
    const int64_t width = type.byte_width();
    std::unique_ptr<Buffer> values = NewBuffer(n * width);
    uint8_t* out = values->mutable_data();
    for (int64_t i = 0; i < n; ++i) {
      const RowRef& ref = rows[static_cast<size_t>(i)];
      std::memcpy(out + i * width, columns[ref.source]->BinaryValue(ref.row).data(),
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
