#include "sluice/table/hash.h"

#include <bit>
#include <cmath>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

inline uint64_t Combine(uint64_t h, uint64_t v) {
  uint64_t pair[2] = {h, v};
  return XxHash64(pair, sizeof(pair), 0);
}

template <typename T>
inline uint64_t HashFixed(T value, uint64_t seed) {
  return XxHash64(&value, sizeof(T), seed);
}

inline uint32_t CanonicalBits(float value) {
  if (std::isnan(value)) return 0x7FC00000u;
  if (value == 0.0f) return 0;
  return std::bit_cast<uint32_t>(value);
}

inline uint64_t CanonicalBits(double value) {
  if (std::isnan(value)) return 0x7FF8000000000000ull;
  if (value == 0.0) return 0;
  return std::bit_cast<uint64_t>(value);
}

template <bool kCombine, typename F>
void Fill(const Array& array, std::span<uint64_t> out, F value_hash) {
  int64_t n = array.length();
  auto store = [&](int64_t i, uint64_t v) {
    if constexpr (kCombine) {
      out[static_cast<size_t>(i)] = Combine(out[static_cast<size_t>(i)], v);
    } else {
      out[static_cast<size_t>(i)] = v;
    }
  };
  if (array.null_count() == 0) {
    for (int64_t i = 0; i < n; ++i) store(i, value_hash(i));
  } else {
    for (int64_t i = 0; i < n; ++i) store(i, array.IsValid(i) ? value_hash(i) : kNullHash);
  }
}

template <bool kCombine, typename T>
void FillFixed(const Array& array, std::span<uint64_t> out, uint64_t seed) {
  Fill<kCombine>(array, out, [&](int64_t i) { return HashFixed(array.Value<T>(i), seed); });
}

template <bool kCombine>
void HashInto(const Array& array, std::span<uint64_t> out, uint64_t seed);

// A nested value's hash folds its children's value hashes (hash.h), computed column-wise over
// the child rows the array spans.
template <bool kCombine>
void HashNested(const Array& array, std::span<uint64_t> out, uint64_t seed) {
  const DataType& type = array.type();
  std::vector<std::vector<uint64_t>> child_hashes;
  std::vector<Array> children;
  for (int k = 0; k < array.num_children(); ++k) {
    Array child = type.id() == TypeId::kStruct
                      ? array.child(k).Slice(array.offset(), array.length())
                      : array.child(k);
    child_hashes.emplace_back(static_cast<size_t>(child.length()));
    HashInto<false>(child, child_hashes.back(), seed);
  }
  Fill<kCombine>(array, out, [&](int64_t i) {
    if (type.id() == TypeId::kStruct) {
      auto k = static_cast<uint64_t>(array.num_children());
      uint64_t h = XxHash64(&k, sizeof(k), seed);
      for (const auto& hashes : child_hashes) h = Combine(h, hashes[static_cast<size_t>(i)]);
      return h;
    }
    auto n = static_cast<uint64_t>(array.ValueLength(i));
    uint64_t h = XxHash64(&n, sizeof(n), seed);
    for (int64_t r = array.ValueBegin(i); r < array.ValueEnd(i); ++r) {
      h = Combine(h, child_hashes[0][static_cast<size_t>(r)]);
    }
    return h;
  });
}

template <bool kCombine>
void HashInto(const Array& array, std::span<uint64_t> out, uint64_t seed) {
  SLUICE_CHECK_EQ(static_cast<int64_t>(out.size()), array.length());
  switch (array.type().id()) {
    case TypeId::kBool:
      return Fill<kCombine>(array, out, [&](int64_t i) {
        return HashFixed(static_cast<uint8_t>(array.BoolValue(i)), seed);
      });
    case TypeId::kInt8:
    case TypeId::kUInt8:
      return FillFixed<kCombine, uint8_t>(array, out, seed);
    case TypeId::kInt16:
    case TypeId::kUInt16:
      return FillFixed<kCombine, uint16_t>(array, out, seed);
    case TypeId::kInt32:
    case TypeId::kUInt32:
    case TypeId::kDate32:
      return FillFixed<kCombine, uint32_t>(array, out, seed);
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kTimestamp:
      return FillFixed<kCombine, uint64_t>(array, out, seed);
    case TypeId::kFloat32:
      return Fill<kCombine>(array, out, [&](int64_t i) {
        return HashFixed(CanonicalBits(array.Value<float>(i)), seed);
      });
    case TypeId::kFloat64:
      return Fill<kCombine>(array, out, [&](int64_t i) {
        return HashFixed(CanonicalBits(array.Value<double>(i)), seed);
      });
    case TypeId::kDecimal128:
      return FillFixed<kCombine, Decimal128>(array, out, seed);
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      return Fill<kCombine>(array, out, [&](int64_t i) {
        std::string_view value = array.BinaryValue(i);
        return XxHash64(value.data(), value.size(), seed);
      });
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return HashNested<kCombine>(array, out, seed);
  }
}

}  // namespace

uint64_t CombineHashes(uint64_t h, uint64_t v) { return Combine(h, v); }

void HashArray(const Array& array, std::span<uint64_t> out, uint64_t seed) {
  HashInto<false>(array, out, seed);
}

void HashArrayCombine(const Array& array, std::span<uint64_t> out, uint64_t seed) {
  HashInto<true>(array, out, seed);
}

void HashRows(const RecordBatch& batch, std::span<const int> columns, std::span<uint64_t> out,
              uint64_t seed) {
  if (columns.empty()) throw InvalidArgument("row hashing needs at least one column");
  if (static_cast<int64_t>(out.size()) != batch.num_rows()) {
    throw InvalidArgument("hash output has {} slots for {} rows", out.size(), batch.num_rows());
  }
  for (int c : columns) {
    if (c < 0 || c >= batch.num_columns()) {
      throw InvalidArgument("column index {} is outside a batch of {} columns", c,
                            batch.num_columns());
    }
  }
  HashInto<false>(batch.column(columns[0]), out, seed);
  for (size_t k = 1; k < columns.size(); ++k) HashInto<true>(batch.column(columns[k]), out, seed);
}

std::vector<uint64_t> HashRows(const RecordBatch& batch, std::span<const int> columns,
                               uint64_t seed) {
  std::vector<uint64_t> out(static_cast<size_t>(batch.num_rows()));
  HashRows(batch, columns, out, seed);
  return out;
}

std::vector<uint64_t> HashRows(const RecordBatch& batch, const std::vector<std::string>& columns,
                               uint64_t seed) {
  std::vector<int> indices;
  indices.reserve(columns.size());
  for (const std::string& name : columns) {
    std::optional<int> index = batch.schema().FieldIndex(name);
    if (!index) throw NotFound("no such column to hash").With("column", name);
    indices.push_back(*index);
  }
  return HashRows(batch, indices, seed);
}

}  // namespace sluice
