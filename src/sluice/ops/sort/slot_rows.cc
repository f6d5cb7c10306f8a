#include "sluice/ops/sort/slot_rows.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/sort/short_copy.h"
#include "sluice/table/allocator.h"
#include "sluice/table/bitmap.h"

namespace sluice {
namespace {

// Rows scattered per column in chunks, so a chunk's records stay in cache across the columns.
constexpr size_t kChunk = 256;

template <size_t kWidth>
void ScatterFixed(const uint8_t* in, std::span<const uint32_t> rows,
                  std::span<const uint32_t> cells, uint8_t* out, size_t stride) {
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out + cells[i] * stride, in + size_t{rows[i]} * kWidth, kWidth);
  }
}

template <size_t kWidth>
void GatherFixed(std::span<const uint8_t* const> records, size_t at, uint8_t* out) {
  for (const uint8_t* record : records) {
    std::memcpy(out, record + at, kWidth);
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
  const int n = schema_->num_fields();
  int offset = n;  // the validity bytes come first
  for (int c = 0; c < n; ++c) {
    const DataType& type = schema_->field(c).type;
    Column column;
    column.layout = type.layout();
    column.width = column.layout == Layout::kFixedWidth       ? type.byte_width()
                   : column.layout == Layout::kVariableBinary ? sizeof(StringCell)
                                                              : 1;
    column.offset = offset;
    offset += column.width;
    columns_.push_back(column);
  }
  record_bytes_ = static_cast<size_t>(std::max(offset, 1));
}

void SlotRows::Resize(int64_t cells) {
  SLUICE_CHECK_LE(cells, int64_t{std::numeric_limits<uint32_t>::max()});
  if (cells <= cells_) return;
  const size_t old = static_cast<size_t>(cells_) * record_bytes_;
  const size_t bytes = static_cast<size_t>(cells) * record_bytes_;
  Block grown(static_cast<uint8_t*>(AllocateLarge(bytes)), BlockFree{bytes});
  if (old > 0) std::memcpy(grown.get(), records_.get(), old);
  // Zeros: invalid, a string of length 0.
  std::memset(grown.get() + old, 0, bytes - old);
  records_ = std::move(grown);
  cells_ = cells;
}

void SlotRows::Scatter(const RecordBatch& batch, std::span<const uint32_t> rows,
                       std::span<const uint32_t> cells) {
  SLUICE_CHECK_EQ(rows.size(), cells.size());
  for (size_t begin = 0; begin < rows.size(); begin += kChunk) {
    const size_t size = std::min(kChunk, rows.size() - begin);
    for (size_t c = 0; c < columns_.size(); ++c) {
      ScatterColumn(batch.column(static_cast<int>(c)), static_cast<int>(c),
                    rows.subspan(begin, size), cells.subspan(begin, size));
    }
  }
  if (dead_bytes_ > (1 << 20) && dead_bytes_ * 2 > static_cast<int64_t>(arena_.size())) {
    CompactArena();
  }
}

void SlotRows::ScatterColumn(const Array& array, int c, std::span<const uint32_t> rows,
                             std::span<const uint32_t> cells) {
  const Column& column = columns_[static_cast<size_t>(c)];
  uint8_t* base = records_.get();
  const size_t stride = record_bytes_;
  if (array.null_count() == 0) {
    for (uint32_t cell : cells) base[cell * stride + static_cast<size_t>(c)] = 1;
  } else {
    for (size_t i = 0; i < rows.size(); ++i) {
      base[cells[i] * stride + static_cast<size_t>(c)] = array.IsValid(rows[i]) ? 1 : 0;
    }
  }
  uint8_t* out = base + column.offset;
  switch (column.layout) {
    case Layout::kBitmap:
      for (size_t i = 0; i < rows.size(); ++i) {
        out[cells[i] * stride] = array.BoolValue(rows[i]) ? 1 : 0;
      }
      return;
    case Layout::kFixedWidth: {
      const uint8_t* in = array.raw_values() + array.offset() * column.width;
      switch (column.width) {
        case 1:
          return ScatterFixed<1>(in, rows, cells, out, stride);
        case 2:
          return ScatterFixed<2>(in, rows, cells, out, stride);
        case 4:
          return ScatterFixed<4>(in, rows, cells, out, stride);
        case 8:
          return ScatterFixed<8>(in, rows, cells, out, stride);
        case 16:
          return ScatterFixed<16>(in, rows, cells, out, stride);
        default: {
          const size_t width = static_cast<size_t>(column.width);
          for (size_t i = 0; i < rows.size(); ++i) {
            std::memcpy(out + cells[i] * stride, in + rows[i] * width, width);
          }
          return;
        }
      }
    }
    case Layout::kVariableBinary: {
      const int32_t* offsets = array.raw_offsets() + array.offset();
      const char* data = reinterpret_cast<const char*>(array.raw_data());
      for (size_t i = 0; i < rows.size(); ++i) {
        uint8_t* at = out + cells[i] * stride;
        StringCell cell;
        std::memcpy(&cell, at, sizeof(cell));
        if (cell.length > kInline) dead_bytes_ += cell.length;
        const int32_t begin = offsets[rows[i]];
        // A null's bytes are not kept (its length may be anything in the source).
        const bool valid = array.IsValid(rows[i]);
        cell.length = valid ? static_cast<uint32_t>(offsets[rows[i] + 1] - begin) : 0;
        if (cell.length <= kInline) {
          CopyShort(cell.bytes, data + begin, cell.length);
        } else {
          const uint64_t far = arena_.size();
          arena_.insert(arena_.end(), data + begin, data + begin + cell.length);
          std::memcpy(cell.bytes + 4, &far, 8);
        }
        std::memcpy(at, &cell, sizeof(cell));
      }
      return;
    }
  }
}

void SlotRows::CompactArena() {
  std::vector<char> arena;
  arena.reserve(arena_.size() - static_cast<size_t>(dead_bytes_));
  for (const Column& column : columns_) {
    if (column.layout != Layout::kVariableBinary) continue;
    for (int64_t c = 0; c < cells_; ++c) {
      uint8_t* at = record(static_cast<uint32_t>(c)) + column.offset;
      StringCell cell;
      std::memcpy(&cell, at, sizeof(cell));
      if (cell.length <= kInline) continue;
      uint64_t far;
      std::memcpy(&far, cell.bytes + 4, 8);
      const uint64_t moved = arena.size();
      arena.insert(arena.end(), arena_.data() + far, arena_.data() + far + cell.length);
      std::memcpy(at + 4 + 4, &moved, 8);
    }
  }
  arena_ = std::move(arena);
  dead_bytes_ = 0;
}

RecordBatch SlotRows::Gather(std::span<const uint32_t> cells) const {
  std::vector<Ref> refs(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) refs[i] = Ref{0, cells[i]};
  const SlotRows* self = this;
  return Gather(std::span<const SlotRows* const>(&self, 1), refs);
}

RecordBatch SlotRows::Gather(std::span<const SlotRows* const> sources, std::span<const Ref> refs) {
  SLUICE_CHECK(!sources.empty());
  const SlotRows& layout = *sources[0];
  const int64_t length = static_cast<int64_t>(refs.size());
  // Record starts, once for all columns.
  std::vector<const uint8_t*> records(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    records[i] = sources[refs[i].source]->record(refs[i].cell);
  }
  std::vector<Array> arrays;
  for (size_t c = 0; c < layout.columns_.size(); ++c) {
    const Column& column = layout.columns_[c];
    const DataType& type = layout.schema_->field(static_cast<int>(c)).type;
    int64_t null_count = 0;
    for (const uint8_t* record : records) null_count += record[c] == 0;
    std::shared_ptr<const Buffer> validity;
    if (null_count > 0) {
      std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(length));
      std::memset(bits->mutable_data(), 0, static_cast<size_t>(BitmapBytes(length)));
      for (int64_t i = 0; i < length; ++i) {
        if (records[static_cast<size_t>(i)][c]) SetBit(bits->mutable_data(), i);
      }
      validity = std::move(bits);
    }
    const size_t at = static_cast<size_t>(column.offset);
    switch (column.layout) {
      case Layout::kBitmap: {
        std::unique_ptr<Buffer> bits = NewBuffer(BitmapBytes(length));
        std::memset(bits->mutable_data(), 0, static_cast<size_t>(BitmapBytes(length)));
        for (int64_t i = 0; i < length; ++i) {
          if (records[static_cast<size_t>(i)][at]) SetBit(bits->mutable_data(), i);
        }
        arrays.push_back(
            Array::Make(type, length, {std::move(validity), std::move(bits)}, null_count));
        break;
      }
      case Layout::kFixedWidth: {
        const size_t width = static_cast<size_t>(column.width);
        std::unique_ptr<Buffer> values = NewBuffer(length * column.width);
        uint8_t* out = values->mutable_data();
        switch (width) {
          case 4:
            GatherFixed<4>(records, at, out);
            break;
          case 8:
            GatherFixed<8>(records, at, out);
            break;
          default:
            for (const uint8_t* record : records) {
              std::memcpy(out, record + at, width);
              out += width;
            }
        }
        arrays.push_back(
            Array::Make(type, length, {std::move(validity), std::move(values)}, null_count));
        break;
      }
      case Layout::kVariableBinary: {
        int64_t bytes = 0;
        for (const uint8_t* record : records) {
          uint32_t size;
          std::memcpy(&size, record + at, 4);
          bytes += size;
        }
        if (bytes > std::numeric_limits<int32_t>::max()) {
          throw InvalidArgument("{} data of {} bytes overflows 32-bit offsets", type.ToString(),
                                bytes)
              .With("column", layout.schema_->field(static_cast<int>(c)).name);
        }
        std::unique_ptr<Buffer> offsets = NewBuffer((length + 1) * 4);
        std::unique_ptr<Buffer> data = NewBuffer(bytes);
        int32_t* offset = offsets->mutable_data_as<int32_t>();
        char* out = reinterpret_cast<char*>(data->mutable_data());
        int32_t end = 0;
        offset[0] = 0;
        for (int64_t i = 0; i < length; ++i) {
          StringCell cell;
          std::memcpy(&cell, records[static_cast<size_t>(i)] + at, sizeof(cell));
          if (cell.length <= kInline) {
            CopyShort(out + end, cell.bytes, cell.length);
          } else {
            uint64_t far;
            std::memcpy(&far, cell.bytes + 4, 8);
            const SlotRows& source = *sources[refs[static_cast<size_t>(i)].source];
            std::memcpy(out + end, source.arena_.data() + far, cell.length);
          }
          end += static_cast<int32_t>(cell.length);
          offset[i + 1] = end;
        }
        arrays.push_back(Array::Make(
            type, length, {std::move(validity), std::move(offsets), std::move(data)}, null_count));
        break;
      }
    }
  }
  return RecordBatch::Make(layout.schema_, std::move(arrays), length);
}

int64_t SlotRows::ByteSize() const {
  return static_cast<int64_t>(records_.get_deleter().bytes + arena_.capacity());
}

}  // namespace sluice
