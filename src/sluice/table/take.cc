#include "sluice/table/take.h"

#include <cstring>
#include <limits>
#include <string>

#include "sluice/base/error.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/dictionary.h"
#include "sluice/table/short_copy.h"

namespace sluice {
namespace {

void CheckIndices(std::span<const int64_t> indices, int64_t rows, std::string_view column_name) {
  // One unsigned compare per index and no branch until the end: the check runs on every take.
  bool bad = false;
  for (int64_t index : indices) bad |= static_cast<uint64_t>(index) >= static_cast<uint64_t>(rows);
  if (!bad) return;
  for (size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] < 0 || indices[k] >= rows) [[unlikely]] {
      throw InvalidArgument("take index {} is outside [0, {})", indices[k], rows)
          .With("column", std::string(column_name))
          .With("position", std::to_string(k));
    }
  }
}

template <size_t kWidth>
void TakeFixed(const uint8_t* values, std::span<const int64_t> indices, uint8_t* out) {
  for (int64_t index : indices) {
    std::memcpy(out, values + index * static_cast<int64_t>(kWidth), kWidth);
    out += kWidth;
  }
}

Array TakeChecked(const Array& array, std::span<const int64_t> indices, Allocator* allocator,
                  std::string_view column_name);

// The child rows of the taken lists, and the new offsets over them (a null list takes none,
// except in a fixed-size list, whose nulls keep their list_size() child rows).
Array TakeNested(const Array& array, std::span<const int64_t> indices,
                 std::shared_ptr<const Buffer> validity, int64_t null_count, Allocator* allocator,
                 std::string_view column_name) {
  const DataType& type = array.type();
  auto length = static_cast<int64_t>(indices.size());
  std::vector<Array> children;
  std::vector<std::shared_ptr<const Buffer>> buffers = {std::move(validity)};
  if (type.id() == TypeId::kStruct) {
    for (int k = 0; k < type.num_fields(); ++k) {
      std::string name = std::string(column_name) + "." + type.field(k).name;
      children.push_back(TakeChecked(array.child(k).Slice(array.offset(), array.length()), indices,
                                     allocator, name));
    }
    return Array::MakeNested(type, length, std::move(buffers), std::move(children), null_count);
  }
  bool fixed = type.id() == TypeId::kFixedSizeList;
  std::vector<int64_t> rows;
  BufferBuilder offsets(allocator);
  bool large = type.id() == TypeId::kLargeList;
  auto append_offset = [&] {
    auto end = static_cast<int64_t>(rows.size());
    if (large) {
      offsets.AppendValue(end);
    } else if (end > std::numeric_limits<int32_t>::max()) {
      throw InvalidArgument("{} of {} elements taken overflows 32-bit offsets", type.ToString(),
                            end)
          .With("column", std::string(column_name));
    } else {
      offsets.AppendValue(static_cast<int32_t>(end));
    }
  };
  if (!fixed) append_offset();
  for (int64_t index : indices) {
    if (fixed || array.IsValid(index)) {
      for (int64_t r = array.ValueBegin(index); r < array.ValueEnd(index); ++r) rows.push_back(r);
    }
    if (!fixed) append_offset();
  }
  std::string name = std::string(column_name) + "." + type.field(0).name;
  children.push_back(TakeChecked(array.child(0), rows, allocator, name));
  if (!fixed) buffers.push_back(offsets.Finish());
  return Array::MakeNested(type, length, std::move(buffers), std::move(children), null_count);
}

// Indices already checked.
Array TakeChecked(const Array& array, std::span<const int64_t> indices, Allocator* allocator,
                  std::string_view column_name) {
  if (array.is_dictionary()) {
    // The indices are taken; the dictionary is shared.
    return Array::MakeDictionary(
        TakeChecked(DictionaryIndices(array), indices, allocator, column_name), array.dictionary());
  }
  const DataType& type = array.type();
  auto length = static_cast<int64_t>(indices.size());
  int64_t base = array.offset();
  int64_t data_bytes = 0;
  if (type.layout() == Layout::kVariableBinary) {
    const int32_t* offsets = array.raw_offsets() + base;
    for (int64_t index : indices) data_bytes += offsets[index + 1] - offsets[index];
    if (data_bytes > std::numeric_limits<int32_t>::max()) {
      throw InvalidArgument("{} data of {} bytes taken overflows 32-bit offsets (limit {})",
                            type.ToString(), data_bytes, std::numeric_limits<int32_t>::max())
          .With("column", std::string(column_name));
    }
  }

  std::shared_ptr<const Buffer> validity;
  int64_t null_count = 0;
  if (array.null_count() > 0) {
    BitmapBuilder bits(allocator);
    bits.Reserve(length);
    for (int64_t index : indices) {
      bool valid = array.IsValid(index);
      null_count += !valid;
      bits.Append(valid);
    }
    validity = bits.Finish();
    if (null_count == 0) validity = nullptr;
  }

  switch (type.layout()) {
    case Layout::kBitmap: {
      BitmapBuilder bits(allocator);
      bits.Reserve(length);
      for (int64_t index : indices) bits.Append(array.BoolValue(index));
      return Array::Make(type, length, {std::move(validity), bits.Finish()}, null_count);
    }
    case Layout::kFixedWidth: {
      int64_t width = type.byte_width();
      BufferBuilder values(allocator);
      values.Reserve(length * width);
      const uint8_t* in = array.raw_values() + base * width;
      uint8_t* out = values.mutable_data();
      switch (width) {
        case 1:
          TakeFixed<1>(in, indices, out);
          break;
        case 2:
          TakeFixed<2>(in, indices, out);
          break;
        case 4:
          TakeFixed<4>(in, indices, out);
          break;
        case 8:
          TakeFixed<8>(in, indices, out);
          break;
        case 16:
          TakeFixed<16>(in, indices, out);
          break;
        default:
          for (int64_t index : indices) {
            std::memcpy(out, in + index * width, static_cast<size_t>(width));
            out += width;
          }
      }
      values.UnsafeAdvance(length * width);
      return Array::Make(type, length, {std::move(validity), values.Finish()}, null_count);
    }
    case Layout::kVariableBinary: {
      const int32_t* in_offsets = array.raw_offsets() + base;
      BufferBuilder offsets(allocator);
      BufferBuilder data(allocator);
      offsets.Reserve((length + 1) * 4);
      data.Reserve(data_bytes);
      auto* out = reinterpret_cast<int32_t*>(offsets.mutable_data());
      uint8_t* bytes = data.mutable_data();
      int32_t end = 0;
      out[0] = 0;
      for (int64_t k = 0; k < length; ++k) {
        int64_t index = indices[static_cast<size_t>(k)];
        int32_t begin = in_offsets[index];
        int32_t size = in_offsets[index + 1] - begin;
        CopyShort(bytes + end, array.raw_data() + begin, static_cast<size_t>(size));
        end += size;
        out[k + 1] = end;
      }
      offsets.UnsafeAdvance((length + 1) * 4);
      data.UnsafeAdvance(end);
      return Array::Make(type, length, {std::move(validity), offsets.Finish(), data.Finish()},
                         null_count);
    }
    case Layout::kNested:
      return TakeNested(array, indices, std::move(validity), null_count, allocator, column_name);
  }
  throw InternalError("unknown layout");
}

}  // namespace

Array Take(const Array& array, std::span<const int64_t> indices, Allocator* allocator,
           std::string_view column_name) {
  CheckIndices(indices, array.length(), column_name);
  return TakeChecked(array, indices, allocator, column_name);
}

RecordBatch Take(const RecordBatch& batch, std::span<const int64_t> indices, Allocator* allocator) {
  const std::span<const int64_t> sets[] = {indices};
  return std::move(TakeSets(batch, sets, allocator)[0]);
}

std::vector<RecordBatch> TakeSets(const RecordBatch& batch,
                                  std::span<const std::span<const int64_t>> row_sets,
                                  Allocator* allocator) {
  // Checked up front so a bad index fails before any column is copied.
  const std::string_view first_name = batch.num_columns() > 0 ? batch.schema().field(0).name : "";
  for (std::span<const int64_t> rows : row_sets) CheckIndices(rows, batch.num_rows(), first_name);
  std::vector<std::vector<Array>> columns(row_sets.size());
  for (int c = 0; c < batch.num_columns(); ++c) {
    for (size_t s = 0; s < row_sets.size(); ++s) {
      columns[s].push_back(
          TakeChecked(batch.column(c), row_sets[s], allocator, batch.schema().field(c).name));
    }
  }
  std::vector<RecordBatch> taken;
  taken.reserve(row_sets.size());
  for (size_t s = 0; s < row_sets.size(); ++s) {
    taken.push_back(RecordBatch::Make(batch.shared_schema(), std::move(columns[s]),
                                      static_cast<int64_t>(row_sets[s].size())));
  }
  return taken;
}

}  // namespace sluice
