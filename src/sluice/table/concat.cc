#include "sluice/table/concat.h"

#include <limits>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/table/buffer_builder.h"

namespace sluice {
namespace {

std::shared_ptr<const Buffer> ConcatValidity(std::span<const Array> arrays, int64_t length,
                                             int64_t null_count, Allocator* allocator) {
  if (null_count == 0) return nullptr;
  BitmapBuilder bits(allocator);
  bits.Reserve(length);
  for (const Array& a : arrays) {
    if (a.validity() == nullptr) {
      bits.AppendN(true, a.length());
    } else {
      bits.AppendBits(a.validity(), a.offset(), a.length());
    }
  }
  return bits.Finish();
}

// Each array's rows of child `k` (a struct's, or a fixed-size list's values).
std::vector<Array> ChildPieces(std::span<const Array> arrays, int k) {
  std::vector<Array> pieces;
  pieces.reserve(arrays.size());
  for (const Array& a : arrays) {
    const Array& child = a.child(k);
    if (a.type().id() == TypeId::kStruct) {
      pieces.push_back(child.Slice(a.offset(), a.length()));
    } else {
      int64_t begin = a.ValueBegin(0);
      pieces.push_back(child.Slice(begin, a.ValueBegin(a.length()) - begin));
    }
  }
  return pieces;
}

template <typename Offset>
std::shared_ptr<const Buffer> ConcatOffsets(std::span<const Array> arrays, int64_t length,
                                            Allocator* allocator) {
  BufferBuilder offsets(allocator);
  offsets.Reserve((length + 1) * static_cast<int64_t>(sizeof(Offset)));
  int64_t end = 0;
  offsets.AppendValue(static_cast<Offset>(0));
  for (const Array& a : arrays) {
    int64_t shift = end - a.ValueBegin(0);
    for (int64_t j = 1; j <= a.length(); ++j) {
      offsets.AppendValue(static_cast<Offset>(a.ValueBegin(j) + shift));
    }
    end = a.ValueBegin(a.length()) + shift;
  }
  return offsets.Finish();
}

Array ConcatNested(std::span<const Array> arrays, int64_t length, int64_t null_count,
                   std::shared_ptr<const Buffer> validity, Allocator* allocator,
                   std::string_view column_name) {
  const DataType& type = arrays[0].type();
  std::vector<Array> children;
  for (int k = 0; k < type.num_fields(); ++k) {
    std::string name = std::string(column_name) + "." + type.field(k).name;
    children.push_back(ConcatArrays(ChildPieces(arrays, k), allocator, name));
  }
  std::vector<std::shared_ptr<const Buffer>> buffers = {std::move(validity)};
  if (type.id() == TypeId::kLargeList) {
    buffers.push_back(ConcatOffsets<int64_t>(arrays, length, allocator));
  } else if (type.id() == TypeId::kList || type.id() == TypeId::kMap) {
    if (children[0].length() > std::numeric_limits<int32_t>::max()) {
      throw InvalidArgument("concatenated {} of {} elements overflows 32-bit offsets",
                            type.ToString(), children[0].length())
          .With("column", std::string(column_name));
    }
    buffers.push_back(ConcatOffsets<int32_t>(arrays, length, allocator));
  }
  return Array::MakeNested(type, length, std::move(buffers), std::move(children), null_count);
}

}  // namespace

Array ConcatArrays(std::span<const Array> arrays, Allocator* allocator,
                   std::string_view column_name) {
  if (arrays.empty())
    throw InvalidArgument("concat of no arrays").With("column", std::string(column_name));
  const DataType& type = arrays[0].type();
  int64_t length = 0;
  int64_t null_count = 0;
  int64_t data_bytes = 0;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const Array& a = arrays[i];
    if (a.type() != type) {
      throw InvalidArgument("concat of {} and {}", type.ToString(), a.type().ToString())
          .With("column", std::string(column_name))
          .With("input", std::to_string(i));
    }
    length += a.length();
    null_count += a.null_count();
    if (type.layout() == Layout::kVariableBinary) {
      data_bytes += a.raw_offsets()[a.offset() + a.length()] - a.raw_offsets()[a.offset()];
    }
  }
  if (data_bytes > std::numeric_limits<int32_t>::max()) {
    throw InvalidArgument("concatenated {} data of {} bytes overflows 32-bit offsets (limit {})",
                          type.ToString(), data_bytes, std::numeric_limits<int32_t>::max())
        .With("column", std::string(column_name));
  }
  std::shared_ptr<const Buffer> validity = ConcatValidity(arrays, length, null_count, allocator);
  switch (type.layout()) {
    case Layout::kBitmap: {
      BitmapBuilder bits(allocator);
      bits.Reserve(length);
      for (const Array& a : arrays) bits.AppendBits(a.raw_values(), a.offset(), a.length());
      return Array::Make(type, length, {std::move(validity), bits.Finish()}, null_count);
    }
    case Layout::kFixedWidth: {
      int64_t width = type.byte_width();
      BufferBuilder values(allocator);
      values.Reserve(length * width);
      for (const Array& a : arrays) {
        values.Append(a.raw_values() + a.offset() * width, a.length() * width);
      }
      return Array::Make(type, length, {std::move(validity), values.Finish()}, null_count);
    }
    case Layout::kVariableBinary: {
      BufferBuilder offsets(allocator);
      BufferBuilder data(allocator);
      offsets.Reserve((length + 1) * 4);
      data.Reserve(data_bytes);
      auto* out = reinterpret_cast<int32_t*>(offsets.mutable_data());
      out[0] = 0;
      int64_t row = 0;
      for (const Array& a : arrays) {
        const int32_t* in = a.raw_offsets() + a.offset();
        int32_t shift = static_cast<int32_t>(data.size()) - in[0];
        for (int64_t j = 1; j <= a.length(); ++j) out[row + j] = in[j] + shift;
        row += a.length();
        data.Append(a.raw_data() + in[0], in[a.length()] - in[0]);
      }
      offsets.UnsafeAdvance((length + 1) * 4);
      return Array::Make(type, length, {std::move(validity), offsets.Finish(), data.Finish()},
                         null_count);
    }
    case Layout::kNested:
      return ConcatNested(arrays, length, null_count, std::move(validity), allocator, column_name);
  }
  throw InternalError("unknown layout");
}

RecordBatch Concat(std::span<const RecordBatch> batches, Allocator* allocator) {
  if (batches.empty()) throw InvalidArgument("concat of no record batches");
  const Schema& schema = batches[0].schema();
  int64_t rows = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const Schema& other = batches[b].schema();
    rows += batches[b].num_rows();
    if (other == schema) continue;
    if (other.num_fields() != schema.num_fields()) {
      throw InvalidArgument("schema mismatch: batch has {} columns, the first batch has {}",
                            other.num_fields(), schema.num_fields())
          .With("batch", std::to_string(b));
    }
    for (int c = 0; c < schema.num_fields(); ++c) {
      if (other.field(c) != schema.field(c)) {
        throw InvalidArgument("schema mismatch: {} in the first batch, {} in this one",
                              schema.field(c).ToString(), other.field(c).ToString())
            .With("column", schema.field(c).name)
            .With("batch", std::to_string(b));
      }
    }
  }
  std::vector<Array> columns;
  columns.reserve(static_cast<size_t>(schema.num_fields()));
  std::vector<Array> pieces;
  pieces.reserve(batches.size());
  for (int c = 0; c < schema.num_fields(); ++c) {
    pieces.clear();
    for (const RecordBatch& batch : batches) pieces.push_back(batch.column(c));
    columns.push_back(ConcatArrays(pieces, allocator, schema.field(c).name));
  }
  return RecordBatch::Make(batches[0].shared_schema(), std::move(columns), rows);
}

}  // namespace sluice
