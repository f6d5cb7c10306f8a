#include "sluice/ops/sort/slot_rows.h"

#include <cstring>
#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/table/allocator.h"
#include "sluice/table/bitmap.h"

namespace sluice {
namespace {

template <size_t kWidth>
void ScatterFixed(const uint8_t* in, std::span<const uint32_t> rows,
                  std::span<const uint32_t> cells, uint8_t* out) {
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out + size_t{cells[i]} * kWidth, in + size_t{rows[i]} * kWidth, kWidth);
  }
}

template <size_t kWidth>
void GatherFixed(const uint8_t* in, std::span<const uint32_t> cells, uint8_t* out) {
  for (uint32_t cell : cells) {
    std::memcpy(out, in + size_t{cell} * kWidth, kWidth);
    out += kWidth;
  }
}

std::unique_ptr<Buffer> NewBuffer(int64_t bytes) {
  std::unique_ptr<Buffer> buffer = Allocator::Default()->Allocate(std::max<int64_t>(bytes, 1));
  buffer->set_size(bytes);
  return buffer;
}

}  // namespace

SlotRows::SlotRows(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {
  for (int c = 0; c < schema_->num_fields(); ++c) {
    const DataType& type = schema_->field(c).type;
    Column column;
    column.layout = type.layout();
    column.width = column.layout == Layout::kFixedWidth       ? type.byte_width()
                   : column.layout == Layout::kVariableBinary ? sizeof(StringCell)
                                                              : 1;
    columns_.push_back(std::move(column));
  }
}

void SlotRows::Resize(int64_t cells) {
  SLUICE_CHECK_LE(cells, int64_t{std::numeric_limits<uint32_t>::max()});
  if (cells <= cells_) return;
  for (Column& column : columns_) {
    column.valid.resize(static_cast<size_t>(cells), 0);
    // Zeros: a string cell of length 0, a value of 0.
    column.values.resize(static_cast<size_t>(cells * column.width), 0);
  }
  cells_ = cells;
}

void SlotRows::Scatter(const RecordBatch& batch, std::span<const uint32_t> rows,
                       std::span<const uint32_t> cells) {
  SLUICE_CHECK_EQ(rows.size(), cells.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Array& array = batch.column(static_cast<int>(c));
    Column& column = columns_[c];
    const int64_t base = array.offset();
    if (array.null_count() == 0) {
      for (uint32_t cell : cells) column.valid[cell] = 1;
    } else {
      for (size_t i = 0; i < rows.size(); ++i) {
        column.valid[cells[i]] = array.IsValid(rows[i]) ? 1 : 0;
      }
    }
    uint8_t* out = column.values.data();
    switch (column.layout) {
      case Layout::kBitmap:
        for (size_t i = 0; i < rows.size(); ++i) out[cells[i]] = array.BoolValue(rows[i]) ? 1 : 0;
        break;
      case Layout::kFixedWidth: {
        const uint8_t* in = array.raw_values() + base * column.width;
        switch (column.width) {
          case 1:
            ScatterFixed<1>(in, rows, cells, out);
            break;
          case 2:
            ScatterFixed<2>(in, rows, cells, out);
            break;
          case 4:
            ScatterFixed<4>(in, rows, cells, out);
            break;
          case 8:
            ScatterFixed<8>(in, rows, cells, out);
            break;
          case 16:
            ScatterFixed<16>(in, rows, cells, out);
            break;
          default: {
            const size_t width = static_cast<size_t>(column.width);
            for (size_t i = 0; i < rows.size(); ++i) {
              std::memcpy(out + cells[i] * width, in + rows[i] * width, width);
            }
          }
        }
        break;
      }
      case Layout::kVariableBinary:
        ScatterStrings(array, column, rows, cells);
        break;
    }
  }
  if (dead_bytes_ > (1 << 20) && dead_bytes_ * 2 > static_cast<int64_t>(arena_.size())) {
    CompactArena();
  }
}

void SlotRows::ScatterStrings(const Array& array, Column& column, std::span<const uint32_t> rows,
                              std::span<const uint32_t> cells) {
  const int32_t* offsets = array.raw_offsets() + array.offset();
  const char* data = reinterpret_cast<const char*>(array.raw_data());
  auto* out = reinterpret_cast<StringCell*>(column.values.data());
  for (size_t i = 0; i < rows.size(); ++i) {
    StringCell& cell = out[cells[i]];
    if (cell.length > kInline) dead_bytes_ += cell.length;
    const int32_t begin = offsets[rows[i]];
    // A null's bytes are not kept (its length may be anything in the source).
    const uint32_t length =
        column.valid[cells[i]] ? static_cast<uint32_t>(offsets[rows[i] + 1] - begin) : 0;
    cell.length = length;
    if (length <= kInline) {
      std::memcpy(cell.bytes, data + begin, length);
    } else {
      const uint64_t offset = arena_.size();
      arena_.insert(arena_.end(), data + begin, data + begin + length);
      std::memcpy(cell.bytes + 4, &offset, 8);
    }
  }
}

void SlotRows::CompactArena() {
  std::vector<char> arena;
  arena.reserve(arena_.size() - static_cast<size_t>(dead_bytes_));
  for (Column& column : columns_) {
    if (column.layout != Layout::kVariableBinary) continue;
    auto* cells = reinterpret_cast<StringCell*>(column.values.data());
    for (int64_t c = 0; c < cells_; ++c) {
      StringCell& cell = cells[c];
      if (cell.length <= kInline) continue;
      uint64_t offset;
      std::memcpy(&offset, cell.bytes + 4, 8);
      const uint64_t moved = arena.size();
      arena.insert(arena.end(), arena_.data() + offset, arena_.data() + offset + cell.length);
      std::memcpy(cell.bytes + 4, &moved, 8);
    }
  }
  arena_ = std::move(arena);
  dead_bytes_ = 0;
}

RecordBatch SlotRows::Gather(std::span<const uint32_t> cells) const {
  const int64_t length = static_cast<int64_t>(cells.size());
  std::vector<Array> arrays;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    const DataType& type = schema_->field(static_cast<int>(c)).type;
    int64_t null_count = 0;
    for (uint32_t cell : cells) null_count += column.valid[cell] == 0;
    std::shared_ptr<const Buffer> validity;
    if (null_count > 0) {
      std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(length));
      std::memset(bits->mutable_data(), 0, static_cast<size_t>(BitmapBytes(length)));
      for (int64_t i = 0; i < length; ++i) {
        if (column.valid[cells[static_cast<size_t>(i)]]) SetBit(bits->mutable_data(), i);
      }
      validity = std::move(bits);
    }
    const uint8_t* in = column.values.data();
    switch (column.layout) {
      case Layout::kBitmap: {
        std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(length));
        std::memset(bits->mutable_data(), 0, static_cast<size_t>(BitmapBytes(length)));
        for (int64_t i = 0; i < length; ++i) {
          if (in[cells[static_cast<size_t>(i)]]) SetBit(bits->mutable_data(), i);
        }
        arrays.push_back(
            Array::Make(type, length, {std::move(validity), std::move(bits)}, null_count));
        break;
      }
      case Layout::kFixedWidth: {
        std::unique_ptr<Buffer> values = NewBuffer(length * column.width);
        uint8_t* out = values->mutable_data();
        switch (column.width) {
          case 1:
            GatherFixed<1>(in, cells, out);
            break;
          case 2:
            GatherFixed<2>(in, cells, out);
            break;
          case 4:
            GatherFixed<4>(in, cells, out);
            break;
          case 8:
            GatherFixed<8>(in, cells, out);
            break;
          case 16:
            GatherFixed<16>(in, cells, out);
            break;
          default: {
            const size_t width = static_cast<size_t>(column.width);
            for (uint32_t cell : cells) {
              std::memcpy(out, in + cell * width, width);
              out += width;
            }
          }
        }
        arrays.push_back(
            Array::Make(type, length, {std::move(validity), std::move(values)}, null_count));
        break;
      }
      case Layout::kVariableBinary: {
        const auto* strings = reinterpret_cast<const StringCell*>(in);
        int64_t bytes = 0;
        for (uint32_t cell : cells) bytes += strings[cell].length;
        if (bytes > std::numeric_limits<int32_t>::max()) {
          throw InvalidArgument("{} data of {} bytes overflows 32-bit offsets", type.ToString(),
                                bytes)
              .With("column", schema_->field(static_cast<int>(c)).name);
        }
        std::unique_ptr<Buffer> offsets = NewBuffer((length + 1) * 4);
        std::unique_ptr<Buffer> data = NewBuffer(bytes);
        int32_t* offset = offsets->mutable_data_as<int32_t>();
        char* out = reinterpret_cast<char*>(data->mutable_data());
        int32_t at = 0;
        offset[0] = 0;
        for (int64_t i = 0; i < length; ++i) {
          const StringCell& cell = strings[cells[static_cast<size_t>(i)]];
          if (cell.length <= kInline) {
            std::memcpy(out + at, cell.bytes, cell.length);
          } else {
            uint64_t far;
            std::memcpy(&far, cell.bytes + 4, 8);
            std::memcpy(out + at, arena_.data() + far, cell.length);
          }
          at += static_cast<int32_t>(cell.length);
          offset[i + 1] = at;
        }
        arrays.push_back(Array::Make(
            type, length, {std::move(validity), std::move(offsets), std::move(data)}, null_count));
        break;
      }
    }
  }
  return RecordBatch::Make(schema_, std::move(arrays), length);
}

int64_t SlotRows::ByteSize() const {
  int64_t bytes = static_cast<int64_t>(arena_.capacity());
  for (const Column& column : columns_) {
    bytes += static_cast<int64_t>(column.valid.capacity() + column.values.capacity());
  }
  return bytes;
}

}  // namespace sluice
