#include "sluice/ops/sort/sort_key_encoder.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/allocator.h"

namespace sluice {
namespace {

constexpr uint8_t kValid = 0x00;
constexpr uint8_t kNull = 0x01;

// Bytes a value takes after its flag; -1 for variable length.
int ValueWidth(const DataType& type) {
  if (type.id() == TypeId::kBool) return 1;
  if (type.layout() == Layout::kVariableBinary) return -1;
  return type.byte_width();
}

template <typename U>
void StoreBigEndian(U bits, uint8_t* out) {
  if constexpr (sizeof(U) == 2) bits = __builtin_bswap16(bits);
  if constexpr (sizeof(U) == 4) bits = __builtin_bswap32(bits);
  if constexpr (sizeof(U) == 8) bits = __builtin_bswap64(bits);
  std::memcpy(out, &bits, sizeof(U));
}

template <typename T>
void WriteFixed(const Array& a, bool descending, uint8_t* base, std::vector<int64_t>& cursor) {
  const int64_t rows = a.length();
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* out = base + cursor[static_cast<size_t>(r)];
    cursor[static_cast<size_t>(r)] += 1 + static_cast<int64_t>(sizeof(T));
    if (a.IsNull(r)) {
      out[0] = kNull;
      std::memset(out + 1, 0, sizeof(T));
      continue;
    }
    out[0] = kValid;
    if constexpr (std::is_same_v<T, Decimal128>) {
      const Decimal128 d = a.Value<Decimal128>(r);
      uint64_t high = static_cast<uint64_t>(d.high) ^ (uint64_t{1} << 63);
      uint64_t low = d.low;
      if (descending) {
        high = ~high;
        low = ~low;
      }
      StoreBigEndian(high, out + 1);
      StoreBigEndian(low, out + 9);
    } else {
      auto bits = NormalizeSortValue(a.Value<T>(r));
      if (descending) bits = static_cast<decltype(bits)>(~bits);
      StoreBigEndian(bits, out + 1);
    }
  }
}

void WriteBool(const Array& a, bool descending, uint8_t* base, std::vector<int64_t>& cursor) {
  for (int64_t r = 0; r < a.length(); ++r) {
    uint8_t* out = base + cursor[static_cast<size_t>(r)];
    cursor[static_cast<size_t>(r)] += 2;
    const bool valid = a.IsValid(r);
    out[0] = valid ? kValid : kNull;
    const uint8_t bit = valid && a.BoolValue(r) ? 1 : 0;
    out[1] = valid ? static_cast<uint8_t>(descending ? 1 - bit : bit) : 0;
  }
}

void WriteFixedBinary(const Array& a, bool descending, uint8_t* base,
                      std::vector<int64_t>& cursor) {
  const int64_t width = a.type().byte_width();
  for (int64_t r = 0; r < a.length(); ++r) {
    uint8_t* out = base + cursor[static_cast<size_t>(r)];
    cursor[static_cast<size_t>(r)] += 1 + width;
    if (a.IsNull(r)) {
      out[0] = kNull;
      std::memset(out + 1, 0, static_cast<size_t>(width));
      continue;
    }
    out[0] = kValid;
    std::memcpy(out + 1, a.BinaryValue(r).data(), static_cast<size_t>(width));
    if (descending) {
      for (int64_t i = 1; i <= width; ++i) out[i] = static_cast<uint8_t>(~out[i]);
    }
  }
}

int64_t EscapedLength(std::string_view s) {
  int64_t zeros = 0;
  for (char ch : s) zeros += ch == 0;
  return static_cast<int64_t>(s.size()) + zeros + 2;
}

void WriteString(const Array& a, bool descending, uint8_t* base, std::vector<int64_t>& cursor) {
  const uint8_t flip = descending ? 0xFF : 0x00;
  for (int64_t r = 0; r < a.length(); ++r) {
    uint8_t* out = base + cursor[static_cast<size_t>(r)];
    if (a.IsNull(r)) {
      out[0] = kNull;
      cursor[static_cast<size_t>(r)] += 1;
      continue;
    }
    out[0] = kValid;
    uint8_t* p = out + 1;
    for (char ch : a.BinaryValue(r)) {
      const uint8_t b = static_cast<uint8_t>(ch);
      *p++ = b ^ flip;
      if (b == 0) *p++ = 0x01 ^ flip;
    }
    *p++ = flip;
    *p++ = flip;
    cursor[static_cast<size_t>(r)] += p - out;
  }
}

}  // namespace

SortKeyEncoder::SortKeyEncoder(const Schema& schema, std::vector<int> columns,
                               std::vector<bool> descending)
    : columns_(std::move(columns)), descending_(std::move(descending)) {
  SLUICE_CHECK_EQ(columns_.size(), descending_.size());
  for (int c : columns_) {
    const DataType& type = schema.field(c).type;
    if (type.is_nested()) {
      throw NotSupported("a {} column cannot be a sort key: keys are flat columns", type.ToString())
          .With("column", schema.field(c).name);
    }
    types_.push_back(type);
    const int width = ValueWidth(type);
    if (width < 0) {
      fixed_length_ = -1;
    } else if (fixed_length_ >= 0) {
      fixed_length_ += 1 + width;
    }
  }
}

SortKeyEncoder::SortKeyEncoder(const Schema& schema, const std::vector<SortKey>& keys)
    : SortKeyEncoder(schema, ResolveSortKeys(schema, keys), [&] {
        std::vector<bool> descending;
        for (const SortKey& k : keys) descending.push_back(k.descending);
        return descending;
      }()) {}

int64_t SortKeyEncoder::MaxEncodedBytes(const RecordBatch& batch, bool with_positions) const {
  const int64_t rows = batch.num_rows();
  if (rows == 0) return 16;
  // Row starts (8 bytes a row while encoding), offsets (4), flags and fixed-width values.
  int64_t bytes = rows * (8 + 4 + (with_positions ? 8 : 0)) + 16;
  for (size_t k = 0; k < columns_.size(); ++k) {
    const int width = ValueWidth(types_[k]);
    if (width >= 0) {
      bytes += rows * (1 + width);
      continue;
    }
    // A flag, every byte escaped at worst (0x00 becomes two bytes), two terminator bytes.
    const Array& a = batch.column(columns_[k]);
    const int32_t* offsets = a.raw_offsets() + a.offset();
    bytes += rows * 3 + 2 * static_cast<int64_t>(offsets[rows] - offsets[0]);
  }
  return bytes;
}

Array SortKeyEncoder::Encode(const RecordBatch& batch, bool with_positions,
                             int64_t first_position) const {
  const int64_t rows = batch.num_rows();
  // Row starts first (sizes), so each column then writes straight into place.
  std::vector<int64_t> cursor(static_cast<size_t>(rows) + 1, 0);
  int64_t fixed = with_positions ? 8 : 0;
  for (size_t k = 0; k < columns_.size(); ++k) {
    const int width = ValueWidth(types_[k]);
    if (width >= 0) {
      fixed += 1 + width;
      continue;
    }
    const Array& a = batch.column(columns_[k]);
    for (int64_t r = 0; r < rows; ++r) {
      cursor[static_cast<size_t>(r) + 1] += a.IsNull(r) ? 1 : 1 + EscapedLength(a.BinaryValue(r));
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    cursor[static_cast<size_t>(r) + 1] += cursor[static_cast<size_t>(r)] + fixed;
  }
  const int64_t total = cursor[static_cast<size_t>(rows)];
  if (total > std::numeric_limits<int32_t>::max()) {
    throw InvalidArgument("the sort keys of one batch exceed 2 GiB; use smaller batches");
  }
  std::unique_ptr<Buffer> offsets = Allocator::Default()->Allocate((rows + 1) * 4);
  int32_t* offset_values = offsets->mutable_data_as<int32_t>();
  for (int64_t r = 0; r <= rows; ++r) {
    offset_values[r] = static_cast<int32_t>(cursor[static_cast<size_t>(r)]);
  }
  offsets->set_size((rows + 1) * 4);
  std::unique_ptr<Buffer> data = Allocator::Default()->Allocate(std::max<int64_t>(total, 1));
  uint8_t* base = data->mutable_data();
  cursor.pop_back();
  for (size_t k = 0; k < columns_.size(); ++k) {
    const Array& a = batch.column(columns_[k]);
    const bool desc = descending_[k];
    if (types_[k].id() == TypeId::kBool) {
      WriteBool(a, desc, base, cursor);
    } else if (types_[k].id() == TypeId::kFixedSizeBinary) {
      WriteFixedBinary(a, desc, base, cursor);
    } else if (types_[k].layout() == Layout::kVariableBinary) {
      WriteString(a, desc, base, cursor);
    } else {
      DispatchFixedWidth(types_[k], [&]<typename T>(T) { WriteFixed<T>(a, desc, base, cursor); });
    }
  }
  if (with_positions) {
    for (int64_t r = 0; r < rows; ++r) {
      StoreBigEndian(static_cast<uint64_t>(first_position + r),
                     base + cursor[static_cast<size_t>(r)]);
    }
  }
  data->set_size(total);
  return Array::Make(DataType::Binary(), rows, {nullptr, std::move(offsets), std::move(data)}, 0);
}

}  // namespace sluice
