#include "sluice/io/parquet/column_appender.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include "sluice/base/error.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/table/bitmap.h"

namespace sluice::parquet {
namespace {

// Spark's INT96: nanoseconds within the day, then the Julian day number.
constexpr int64_t kJulianDayOfEpoch = 2440588;
constexpr int64_t kNanosPerDay = 86400LL * 1000 * 1000 * 1000;

// The INT96 value in units of `nanos_per_unit` ns (floored); InvalidData when out of range.
int64_t Int96ToTimestamp(const uint8_t* bytes, int64_t nanos_per_unit) {
  uint64_t nanos_of_day;
  int32_t julian_day;
  std::memcpy(&nanos_of_day, bytes, 8);
  std::memcpy(&julian_day, bytes + 8, 4);
  __int128 nanos = static_cast<__int128>(julian_day - kJulianDayOfEpoch) * kNanosPerDay +
                   static_cast<__int128>(nanos_of_day);
  __int128 value = nanos / nanos_per_unit - (nanos % nanos_per_unit < 0 ? 1 : 0);
  if (value > std::numeric_limits<int64_t>::max() || value < std::numeric_limits<int64_t>::min()) {
    throw InvalidData(
        "an INT96 timestamp (Julian day {}) is outside the range of 64-bit timestamps at this "
        "unit; read INT96 columns at a coarser unit (int96_unit)",
        julian_day);
  }
  return static_cast<int64_t>(value);
}

int64_t NanosPerUnit(sluice::TimeUnit unit) {
  switch (unit) {
    case sluice::TimeUnit::kSecond:
      return 1000 * 1000 * 1000;
    case sluice::TimeUnit::kMilli:
      return 1000 * 1000;
    case sluice::TimeUnit::kMicro:
      return 1000;
    case sluice::TimeUnit::kNano:
      return 1;
  }
  return 1;
}

float HalfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);  // inf, NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float.
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ff;
    bits = sign | static_cast<uint32_t>(113 - shift) << 23 | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

Decimal128 BigEndianToDecimal(const uint8_t* bytes, size_t length) {
  if (length == 0) throw InvalidData("a DECIMAL value stored in zero bytes");
  bool negative = (bytes[0] & 0x80) != 0;
  if (length == 16) {  // the common FIXED_LEN_BYTE_ARRAY(16): two byte-swapped words
    uint64_t high;
    uint64_t low;
    std::memcpy(&high, bytes, 8);
    std::memcpy(&low, bytes + 8, 8);
    return Decimal128{__builtin_bswap64(low), static_cast<int64_t>(__builtin_bswap64(high))};
  }
  // Bytes beyond 16 must be pure sign extension.
  while (length > 16) {
    if (bytes[0] != (negative ? 0xff : 0x00)) {
      throw InvalidData("a DECIMAL value of {} bytes does not fit in 128 bits", length);
    }
    ++bytes;
    --length;
  }
  unsigned __int128 value = negative ? ~static_cast<unsigned __int128>(0) : 0;
  for (size_t i = 0; i < length; ++i) value = (value << 8) | bytes[i];
  return Decimal128::FromInt128(static_cast<__int128>(value));
}

// Moves the `present` values at the front of `out` to the rows whose validity bit is set, going
// backwards so nothing is overwritten before it moves; null rows are zeroed. Rows before the
// first null already hold their values.
template <int64_t kWidth>
void SpreadFixed(uint8_t* out, int64_t width, const uint8_t* valid, int64_t count,
                 int64_t present) {
  const int64_t w = kWidth > 0 ? kWidth : width;
  int64_t j = present - 1;
  for (int64_t i = count - 1; i > j; --i) {
    if (GetBit(valid, i)) {
      std::memcpy(out + i * w, out + j * w, static_cast<size_t>(w));
      --j;
    } else {
      std::memset(out + i * w, 0, static_cast<size_t>(w));
    }
  }
}

// kRanks[bits][s] for s < 8: the set bits of `bits` below bit s, at most popcount(bits) - 1 (so a
// clear bit's entry still points at one of the byte's values, or at the first when it has none);
// kRanks[bits][8]: popcount(bits) (a libgcc call per byte on x86-64 without POPCNT).
constexpr auto kRanks = [] {
  std::array<std::array<uint8_t, 9>, 256> ranks{};
  for (int bits = 0; bits < 256; ++bits) {
    const int set = std::popcount(static_cast<unsigned>(bits));
    for (int s = 0; s < 8; ++s) {
      const int below = std::popcount(static_cast<unsigned>(bits) & ((1u << s) - 1));
      ranks[bits][s] = static_cast<uint8_t>(std::min(below, std::max(set - 1, 0)));
    }
    ranks[bits][8] = static_cast<uint8_t>(set);
  }
  return ranks;
}();

// As SpreadFixed for 4- and 8-byte values, a byte of validity (eight rows) at a time and without
// a branch per row: the byte's values are loaded by their ranks, then stored or zeroed by mask.
// (At a few percent of nulls, a branch per row or per byte mispredicted often.)
template <typename T>
void SpreadWords(uint8_t* bytes, const uint8_t* valid, int64_t count, int64_t present) {
  T* out = reinterpret_cast<T*>(bytes);
  int64_t i = count;    // rows [i, count) are placed
  int64_t j = present;  // values [0, j) are not yet
  while (i > j && (i & 7) != 0) {
    --i;
    const T bit = GetBit(valid, i);
    j -= static_cast<int64_t>(bit);
    out[i] = out[j] & (T{0} - bit);  // j <= i: a null row reads a value it then zeroes
  }
  while (i > j) {
    i -= 8;
    const unsigned bits = valid[i >> 3];
    const std::array<uint8_t, 9>& rank = kRanks[bits];
    j -= rank[8];
    T values[8];
#pragma GCC unroll 8
    for (int s = 0; s < 8; ++s) values[s] = out[j + rank[s]];
#pragma GCC unroll 8
    for (int s = 0; s < 8; ++s) out[i + s] = values[s] & (T{0} - ((bits >> s) & 1));
  }
}

}  // namespace

ColumnAppender::ColumnAppender(ColumnType type, Allocator* allocator)
    : type_(std::move(type)),
      out_width_(type_.field.type.byte_width()),
      validity_(allocator),
      values_(allocator),
      bits_(allocator),
      data_(allocator) {
  Layout layout = type_.field.type.layout();
  if (layout == Layout::kNested) {
    throw InternalError("a column appender for {}: it appends leaf values",
                        type_.field.type.ToString());
  }
  direct_fixed_ = type_.conversion == ValueConversion::kNone && layout == Layout::kFixedWidth;
  direct_binary_ = type_.conversion == ValueConversion::kNone && layout == Layout::kVariableBinary;
}

void ColumnAppender::AppendValidity(const uint8_t* valid, int64_t count, int64_t present) {
  if (present < count && !has_validity_) {
    if (length_ > 0) validity_.AppendN(true, length_);
    has_validity_ = true;
  }
  if (has_validity_) {
    if (present == count) {
      validity_.AppendN(true, count);
    } else {
      validity_.AppendBits(valid, 0, count);
    }
  }
  null_count_ += count - present;
}

void ColumnAppender::Append(const PhysicalValues& values, const uint8_t* valid, int64_t count,
                            int64_t present) {
  AppendValidity(valid, count, present);
  switch (type_.field.type.layout()) {
    case Layout::kVariableBinary:
      AppendBinary(values, valid, count, present);
      break;
    case Layout::kBitmap:
      AppendBools(values.fixed.data(), valid, count);
      break;
    case Layout::kFixedWidth:
      AppendFixed(values.fixed.data(), values.width, &values.binary, valid, count, present);
      break;
    case Layout::kNested:
      break;  // refused by the constructor
  }
  length_ += count;
}

void ColumnAppender::AppendFixedValues(const uint8_t* values, int32_t width, const uint8_t* valid,
                                       int64_t count, int64_t present) {
  AppendValidity(valid, count, present);
  if (type_.field.type.layout() == Layout::kBitmap) {
    AppendBools(values, valid, count);
  } else {
    AppendFixed(values, width, nullptr, valid, count, present);
  }
  length_ += count;
}

void ColumnAppender::Reserve(int64_t rows) {
  switch (type_.field.type.layout()) {
    case Layout::kVariableBinary:
      values_.Reserve((values_.size() == 0 ? rows + 1 : rows) * 4);
      if (data_bytes_per_row_ >= 0) {
        // A little over the estimate: running short costs a doubling and a shrinking copy.
        data_.Reserve(static_cast<int64_t>(data_bytes_per_row_ * 1.05 * static_cast<double>(rows)) +
                      64);
      }
      break;
    case Layout::kBitmap:
      bits_.Reserve(rows);
      break;
    case Layout::kFixedWidth:
      values_.Reserve(rows * out_width_);
      break;
    case Layout::kNested:
      break;
  }
}

uint8_t* ColumnAppender::FixedSlots(int64_t count) {
  values_.Reserve(count * out_width_);
  return values_.mutable_data() + values_.size();
}

void ColumnAppender::CommitFixed(const uint8_t* valid, int64_t count, int64_t present) {
  AppendValidity(valid, count, present);
  if (present < count) {
    uint8_t* out = values_.mutable_data() + values_.size();
    switch (out_width_) {
      case 4:
        SpreadWords<uint32_t>(out, valid, count, present);
        break;
      case 8:
        SpreadWords<uint64_t>(out, valid, count, present);
        break;
      case 16:
        SpreadFixed<16>(out, 16, valid, count, present);
        break;
      default:
        SpreadFixed<0>(out, out_width_, valid, count, present);
    }
  }
  values_.UnsafeAdvance(count * out_width_);
  length_ += count;
}

void ColumnAppender::BinarySlots(int64_t count, int32_t** ends, BufferBuilder** data) {
  if (values_.size() == 0) values_.AppendValue<int32_t>(0);
  values_.Reserve(count * 4);
  *ends = reinterpret_cast<int32_t*>(values_.mutable_data() + values_.size());
  *data = &data_;
}

void ColumnAppender::CommitBinary(const uint8_t* valid, int64_t count, int64_t present) {
  AppendValidity(valid, count, present);
  if (present < count) {
    // Spread the present values' end offsets over their rows, backwards and in place; a null
    // row ends where the row before it ends.
    int32_t* ends = reinterpret_cast<int32_t*>(values_.mutable_data() + values_.size());
    int32_t start = ends[-1];
    int64_t j = present - 1;
    for (int64_t i = count - 1; i > j; --i) {
      if (GetBit(valid, i)) {
        ends[i] = ends[j--];
      } else {
        ends[i] = j >= 0 ? ends[j] : start;
      }
    }
  }
  values_.UnsafeAdvance(count * 4);
  length_ += count;
}

void ColumnAppender::AppendBinary(const PhysicalValues& values, const uint8_t* valid, int64_t count,
                                  int64_t present) {
  if (values_.size() == 0) values_.AppendValue<int32_t>(0);
  const ByteArrayBuffer& in = values.binary;
  int64_t base = data_.size();
  if (base + static_cast<int64_t>(in.data.size()) > std::numeric_limits<int32_t>::max()) {
    throw ResourceExhausted(
        "column {} holds more than 2 GiB of bytes in one batch; read smaller "
        "batches",
        type_.field.name);
  }
  data_.Append(in.data.data(), static_cast<int64_t>(in.data.size()));
  values_.Reserve(count * 4);
  int32_t* offsets = reinterpret_cast<int32_t*>(values_.mutable_data() + values_.size());
  int32_t base32 = static_cast<int32_t>(base);
  if (present == count) {
    for (int64_t i = 0; i < count; ++i) offsets[i] = base32 + in.offsets[i + 1];
  } else {
    int64_t j = 0;
    for (int64_t i = 0; i < count; ++i) {
      j += GetBit(valid, i);
      offsets[i] = base32 + in.offsets[j];
    }
  }
  values_.UnsafeAdvance(count * 4);
}

void ColumnAppender::AppendBools(const uint8_t* in, const uint8_t* valid, int64_t count) {
  bits_.Reserve(count);
  int64_t j = 0;
  for (int64_t i = 0; i < count; ++i) {
    bits_.Append(valid == nullptr || GetBit(valid, i) ? in[j++] != 0 : false);
  }
}

void ColumnAppender::AppendFixed(const uint8_t* in, int64_t in_width, const ByteArrayBuffer* binary,
                                 const uint8_t* valid, int64_t count, int64_t present) {
  int64_t out_width = out_width_;
  values_.Reserve(count * out_width);
  uint8_t* out = values_.mutable_data() + values_.size();
  if (type_.conversion == ValueConversion::kNone && present == count) {
    if (count > 0) std::memcpy(out, in, static_cast<size_t>(count * out_width));
    values_.UnsafeAdvance(count * out_width);
    return;
  }
  // Converts present value j into the output slot at `dst`.
  auto emit = [&](auto convert) {
    if (present == count) {
      for (int64_t j = 0; j < count; ++j) convert(j, out + j * out_width);
    } else {
      std::memset(out, 0, static_cast<size_t>(count * out_width));
      int64_t j = 0;
      for (int64_t i = 0; i < count; ++i) {
        if (GetBit(valid, i)) convert(j++, out + i * out_width);
      }
    }
  };
  auto int32_at = [&](int64_t j) {
    int32_t v;
    std::memcpy(&v, in + j * 4, 4);
    return v;
  };
  auto store = [](uint8_t* dst, auto value) { std::memcpy(dst, &value, sizeof(value)); };
  switch (type_.conversion) {
    case ValueConversion::kNone:
      emit([&](int64_t j, uint8_t* dst) { std::memcpy(dst, in + j * out_width, out_width); });
      break;
    case ValueConversion::kInt32ToInt8:
      emit([&](int64_t j, uint8_t* dst) { store(dst, static_cast<int8_t>(int32_at(j))); });
      break;
    case ValueConversion::kInt32ToUInt8:
      emit([&](int64_t j, uint8_t* dst) { store(dst, static_cast<uint8_t>(int32_at(j))); });
      break;
    case ValueConversion::kInt32ToInt16:
      emit([&](int64_t j, uint8_t* dst) { store(dst, static_cast<int16_t>(int32_at(j))); });
      break;
    case ValueConversion::kInt32ToUInt16:
      emit([&](int64_t j, uint8_t* dst) { store(dst, static_cast<uint16_t>(int32_at(j))); });
      break;
    case ValueConversion::kInt32ToDecimal:
      emit([&](int64_t j, uint8_t* dst) { store(dst, Decimal128::FromInt128(int32_at(j))); });
      break;
    case ValueConversion::kInt64ToDecimal:
      emit([&](int64_t j, uint8_t* dst) {
        int64_t v;
        std::memcpy(&v, in + j * 8, 8);
        store(dst, Decimal128::FromInt128(v));
      });
      break;
    case ValueConversion::kBytesToDecimal:
      if (in_width == 0) {
        emit([&](int64_t j, uint8_t* dst) {
          std::string_view v = (*binary)[static_cast<size_t>(j)];
          store(dst, BigEndianToDecimal(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
        });
      } else {
        emit([&](int64_t j, uint8_t* dst) {
          store(dst, BigEndianToDecimal(in + j * in_width, static_cast<size_t>(in_width)));
        });
      }
      break;
    case ValueConversion::kInt96ToTimestamp: {
      int64_t nanos_per_unit = NanosPerUnit(type_.field.type.unit());
      emit([&](int64_t j, uint8_t* dst) {
        store(dst, Int96ToTimestamp(in + j * 12, nanos_per_unit));
      });
      break;
    }
    case ValueConversion::kFloat16ToFloat32:
      emit([&](int64_t j, uint8_t* dst) {
        uint16_t half;
        std::memcpy(&half, in + j * 2, 2);
        store(dst, HalfToFloat(half));
      });
      break;
  }
  values_.UnsafeAdvance(count * out_width);
}

Array ColumnAppender::Finish() {
  const DataType& type = type_.field.type;
  std::vector<std::shared_ptr<const Buffer>> buffers;
  buffers.push_back(has_validity_ ? validity_.Finish() : nullptr);
  switch (type.layout()) {
    case Layout::kVariableBinary:
      if (values_.size() == 0) values_.AppendValue<int32_t>(0);
      buffers.push_back(values_.Finish());
      buffers.push_back(data_.Finish());
      break;
    case Layout::kBitmap:
      buffers.push_back(bits_.Finish());
      break;
    case Layout::kFixedWidth:
      buffers.push_back(values_.Finish());
      break;
    case Layout::kNested:
      break;
  }
  if (type.layout() == Layout::kVariableBinary && length_ > 0) {
    data_bytes_per_row_ =
        static_cast<double>(buffers.back()->size()) / static_cast<double>(length_);
  }
  Array array = Array::Make(type, length_, std::move(buffers), null_count_);
  has_validity_ = false;
  length_ = 0;
  null_count_ = 0;
  return array;
}

}  // namespace sluice::parquet
