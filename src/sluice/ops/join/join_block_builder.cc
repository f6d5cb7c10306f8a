#include "sluice/ops/join/join_block_builder.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

int64_t RoundUp64(int64_t bytes) {
  return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

// A BufferBuilder's capacity after making room for `need` more bytes (BufferBuilder::Grow).
int64_t CapacityAfter(const BufferBuilder& b, int64_t need) {
  if (b.size() + need <= b.capacity()) return b.capacity();
  return RoundUp64(std::max({b.size() + need, 2 * b.capacity(), kBufferAlignment}));
}

// Grows a bitmap held in `bits` to `length` bits, the new bits zero.
void ExtendBits(BufferBuilder& bits, int64_t length) {
  bits.AppendZeros(BitmapBytes(length) - bits.size());
}

template <size_t kWidth>
void GatherFixed(const uint8_t* in, std::span<const int64_t> rows, uint8_t* out) {
  for (int64_t r : rows) {
    std::memcpy(out, in + r * static_cast<int64_t>(kWidth), kWidth);
    out += kWidth;
  }
}

}  // namespace

struct JoinBlockBuilder::Column {
  explicit Column(const DataType& type)
      : type(type),
        validity(Allocator::Default()),
        values(Allocator::Default()),
        data(Allocator::Default()) {}

  DataType type;
  // A nested column is gathered as taken pieces, concatenated at Finish (it has no buffers here).
  std::vector<Array> pieces;
  int64_t piece_bytes = 0;
  // Validity bits, only once a null has been appended (then filled for the rows before it).
  BufferBuilder validity;
  bool has_validity = false;
  int64_t null_count = 0;
  BufferBuilder values;  // fixed-width values, bool bits, or int32 offsets
  BufferBuilder data;    // string and binary bytes
  // Bytes the previous block used, for the next block's reservation.
  int64_t last_values = 0;
  int64_t last_data = 0;
};

struct JoinBlockBuilder::Needs {
  std::vector<int64_t> validity;
  std::vector<int64_t> values;
  std::vector<int64_t> data;
};

JoinBlockBuilder::JoinBlockBuilder(std::shared_ptr<const Schema> schema, int64_t reserve_bytes)
    : schema_(std::move(schema)), reserve_bytes_(reserve_bytes) {
  columns_.reserve(static_cast<size_t>(schema_->num_fields()));
  for (const Field& f : schema_->fields()) columns_.emplace_back(f.type);
}

JoinBlockBuilder::~JoinBlockBuilder() = default;
JoinBlockBuilder::JoinBlockBuilder(JoinBlockBuilder&&) noexcept = default;
JoinBlockBuilder& JoinBlockBuilder::operator=(JoinBlockBuilder&&) noexcept = default;

int64_t JoinBlockBuilder::capacity_bytes() const {
  int64_t total = 0;
  for (const Column& c : columns_) {
    total += c.validity.capacity() + c.values.capacity() + c.data.capacity() + c.piece_bytes;
  }
  return total;
}

JoinBlockBuilder::Needs JoinBlockBuilder::Measure(const RecordBatch& batch,
                                                  std::span<const int64_t> rows) const {
  const auto n = static_cast<int64_t>(rows.size());
  Needs needs;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    const Array& a = batch.column(static_cast<int>(c));
    if (column.type.is_nested()) {
      // The rows' share of the array's bytes, what their taken piece holds, roughly.
      needs.validity.push_back(0);
      needs.values.push_back(0);
      needs.data.push_back(a.length() == 0 ? 0 : ByteSize(a) * n / a.length());
      continue;
    }
    needs.validity.push_back(column.has_validity || a.null_count() > 0
                                 ? BitmapBytes(rows_ + n) - column.validity.size()
                                 : 0);
    int64_t values = 0;
    int64_t data = 0;
    switch (column.type.layout()) {
      case Layout::kBitmap:
        values = BitmapBytes(rows_ + n) - column.values.size();
        break;
      case Layout::kFixedWidth:
        values = n * column.type.byte_width();
        break;
      case Layout::kVariableBinary: {
        values = n * 4 + (rows_ == 0 ? 4 : 0);
        const int32_t* offsets = a.raw_offsets() + a.offset();
        for (int64_t r : rows) data += offsets[r + 1] - offsets[r];
        break;
      }
      case Layout::kNested:
        break;  // measured above
    }
    needs.values.push_back(values);
    needs.data.push_back(data);
  }
  return needs;
}

void JoinBlockBuilder::Reserve(const Needs& needs) {
  // Shares as in the previous block, or as in these first rows.
  int64_t last = 0;
  int64_t now = 0;
  for (size_t c = 0; c < columns_.size(); ++c) {
    last += columns_[c].last_values + columns_[c].last_data;
    now += needs.values[c] + needs.data[c];
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    Column& column = columns_[c];
    if (column.type.is_nested()) continue;
    auto share = [&](int64_t previous, int64_t need) {
      const double fraction = last > 0  ? static_cast<double>(previous) / static_cast<double>(last)
                              : now > 0 ? static_cast<double>(need) / static_cast<double>(now)
                                        : 0.0;
      return std::max(need, static_cast<int64_t>(fraction * static_cast<double>(reserve_bytes_)));
    };
    column.values.Reserve(share(column.last_values, needs.values[c]));
    column.data.Reserve(share(column.last_data, needs.data[c]));
  }
}

bool JoinBlockBuilder::TryAppend(const RecordBatch& batch, std::span<const int64_t> rows,
                                 int64_t limit) {
  const Needs needs = Measure(batch, rows);
  if (rows_ > 0) {
    int64_t after = 0;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const Column& column = columns_[c];
      if (column.type.is_nested()) {
        after += column.piece_bytes + needs.data[c];
        continue;
      }
      after += CapacityAfter(column.validity, needs.validity[c]) +
               CapacityAfter(column.values, needs.values[c]) +
               CapacityAfter(column.data, needs.data[c]);
    }
    if (after > limit) return false;
  }
  AppendMeasured(batch, rows, needs);
  return true;
}

void JoinBlockBuilder::Append(const RecordBatch& batch, std::span<const int64_t> rows) {
  AppendMeasured(batch, rows, Measure(batch, rows));
}

void JoinBlockBuilder::AppendMeasured(const RecordBatch& batch, std::span<const int64_t> rows,
                                      const Needs& needs) {
  SLUICE_CHECK_EQ(batch.num_columns(), static_cast<int>(columns_.size()));
  const auto n = static_cast<int64_t>(rows.size());
  if (n == 0) return;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    if (column.type.layout() == Layout::kVariableBinary &&
        column.data.size() + needs.data[c] > std::numeric_limits<int32_t>::max()) {
      throw InvalidArgument("{} data of {} bytes in one join block overflows 32-bit offsets",
                            column.type.ToString(), column.data.size() + needs.data[c])
          .With("column", schema_->field(static_cast<int>(c)).name);
    }
  }
  if (rows_ == 0) Reserve(needs);
  for (size_t c = 0; c < columns_.size(); ++c) {
    Column& column = columns_[c];
    const Array& a = batch.column(static_cast<int>(c));
    if (column.type.is_nested()) {
      AppendNested(column, a, rows);
      continue;
    }
    const int64_t base = a.offset();
    if (!column.has_validity && a.null_count() > 0) {
      column.has_validity = true;
      ExtendBits(column.validity, rows_);
      std::memset(column.validity.mutable_data(), 0xff,
                  static_cast<size_t>(column.validity.size()));
    }
    if (column.has_validity) {
      ExtendBits(column.validity, rows_ + n);
      uint8_t* bits = column.validity.mutable_data();
      for (int64_t i = 0; i < n; ++i) {
        if (a.IsValid(rows[static_cast<size_t>(i)])) {
          SetBit(bits, rows_ + i);
        } else {
          ++column.null_count;
        }
      }
    }
    switch (column.type.layout()) {
      case Layout::kBitmap: {
        ExtendBits(column.values, rows_ + n);
        uint8_t* bits = column.values.mutable_data();
        for (int64_t i = 0; i < n; ++i) {
          if (a.BoolValue(rows[static_cast<size_t>(i)])) SetBit(bits, rows_ + i);
        }
        break;
      }
      case Layout::kFixedWidth: {
        const int64_t width = column.type.byte_width();
        column.values.Reserve(n * width);
        const uint8_t* in = a.raw_values() + base * width;
        uint8_t* out = column.values.mutable_data() + column.values.size();
        switch (width) {
          case 1:
            GatherFixed<1>(in, rows, out);
            break;
          case 2:
            GatherFixed<2>(in, rows, out);
            break;
          case 4:
            GatherFixed<4>(in, rows, out);
            break;
          case 8:
            GatherFixed<8>(in, rows, out);
            break;
          case 16:
            GatherFixed<16>(in, rows, out);
            break;
          default:
            for (int64_t r : rows) {
              std::memcpy(out, in + r * width, static_cast<size_t>(width));
              out += width;
            }
        }
        column.values.UnsafeAdvance(n * width);
        break;
      }
      case Layout::kVariableBinary: {
        if (rows_ == 0) column.values.AppendValue<int32_t>(0);
        column.values.Reserve(n * 4);
        column.data.Reserve(needs.data[c]);
        const int32_t* offsets = a.raw_offsets() + base;
        const uint8_t* in = a.raw_data();
        auto end = static_cast<int32_t>(column.data.size());
        for (int64_t r : rows) {
          const int32_t length = offsets[r + 1] - offsets[r];
          column.data.Append(in + offsets[r], length);
          end += length;
          column.values.AppendValue<int32_t>(end);
        }
        break;
      }
    }
  }
  rows_ += n;
}

void JoinBlockBuilder::AppendNested(Column& column, const Array& array,
                                    std::span<const int64_t> rows) {
  column.pieces.push_back(Take(array, rows));
  column.piece_bytes += ByteSize(column.pieces.back());
}

Array JoinBlockBuilder::FinishNested(Column& column) {
  column.last_data = column.piece_bytes;
  std::vector<Array> pieces = std::move(column.pieces);
  column.pieces.clear();
  column.piece_bytes = 0;
  if (pieces.empty()) return MakeBuilder(column.type)->Finish();
  return pieces.size() == 1 ? pieces[0] : ConcatArrays(pieces);
}

RecordBatch JoinBlockBuilder::Finish() {
  std::vector<Array> arrays;
  arrays.reserve(columns_.size());
  for (Column& column : columns_) {
    if (column.type.is_nested()) {
      arrays.push_back(FinishNested(column));
      continue;
    }
    column.last_values = column.values.size();
    column.last_data = column.data.size();
    std::shared_ptr<const Buffer> validity;
    if (column.has_validity && column.null_count > 0) validity = column.validity.Finish();
    column.validity = BufferBuilder(Allocator::Default());
    std::vector<std::shared_ptr<const Buffer>> buffers{std::move(validity)};
    if (column.type.layout() == Layout::kVariableBinary) {
      if (rows_ == 0) column.values.AppendValue<int32_t>(0);
      buffers.push_back(column.values.Finish());
      buffers.push_back(column.data.Finish());
    } else {
      buffers.push_back(column.values.Finish());
    }
    arrays.push_back(Array::Make(column.type, rows_, std::move(buffers), column.null_count));
    column.has_validity = false;
    column.null_count = 0;
  }
  RecordBatch batch = RecordBatch::Make(schema_, std::move(arrays), rows_);
  rows_ = 0;
  return batch;
}

}  // namespace sluice
