#include "sluice/ops/key_encoder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

// The bytes a valid value takes, excluding the null flag; -1 for variable length.
int FixedWidth(const DataType& type) {
  if (type.id() == TypeId::kBool) return 1;
  if (type.layout() == Layout::kVariableBinary) return -1;
  return type.byte_width();
}

template <typename Float, typename Bits>
void WriteFloat(Float value, uint8_t* out) {
  if (std::isnan(value)) value = std::numeric_limits<Float>::quiet_NaN();
  if (value == 0) value = 0;  // -0.0 -> +0.0
  Bits bits = std::bit_cast<Bits>(value);
  std::memcpy(out, &bits, sizeof(bits));
}

}  // namespace

void CheckFlatKey(const Field& field, std::string_view role) {
  if (!field.type.is_nested()) return;
  throw InvalidArgument("{} {} is a nested column ({}): keys are flat columns", role, field.name,
                        field.type.ToString())
      .With("column", field.name);
}

KeyEncoder::KeyEncoder(std::vector<DataType> types) : types_(std::move(types)) {
  for (const DataType& type : types_) {
    if (type.is_nested()) {
      throw NotSupported("a {} column cannot be a key: keys are flat columns", type.ToString());
    }
  }
}

void KeyEncoder::Encode(std::span<const Array* const> columns) {
  SLUICE_CHECK_EQ(columns.size(), types_.size());
  const int64_t rows = columns.empty() ? 0 : columns[0]->length();
  // Sizes first, so each column then writes straight into place.
  offsets_.assign(static_cast<size_t>(rows) + 1, 0);
  int64_t fixed = 0;
  for (size_t c = 0; c < columns.size(); ++c) {
    SLUICE_CHECK_EQ(columns[c]->length(), rows);
    const int width = FixedWidth(types_[c]);
    fixed += 1;
    if (width >= 0) {
      const bool nullable = columns[c]->null_count() != 0;
      if (!nullable) {
        fixed += width;
      } else {
        for (int64_t r = 0; r < rows; ++r) {
          if (columns[c]->IsValid(r)) offsets_[r + 1] += static_cast<uint32_t>(width);
        }
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        if (columns[c]->IsValid(r)) {
          offsets_[r + 1] += 4 + static_cast<uint32_t>(columns[c]->BinaryValue(r).size());
        }
      }
    }
  }
  uint64_t total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    total += static_cast<uint64_t>(fixed) + offsets_[r + 1];
    if (total > std::numeric_limits<uint32_t>::max()) {
      throw InvalidArgument("group keys of one batch exceed 4 GiB; use smaller batches");
    }
    offsets_[r + 1] = static_cast<uint32_t>(total);
  }
  bytes_.resize(total);
  cursor_.assign(offsets_.begin(), offsets_.end() - 1);
  for (size_t c = 0; c < columns.size(); ++c) EncodeColumn(*columns[c], types_[c]);
}

int64_t KeyEncoder::EncodedBytesBound(std::span<const Array* const> columns) {
  int64_t bytes = 0;
  for (const Array* c : columns) {
    const DataType& type = c->type();
    const int width = FixedWidth(type);
    if (width >= 0) {
      bytes += c->length() * (1 + width);
    } else if (c->is_dictionary()) {
      // Every row may be the dictionary's longest value.
      const Array& d = *c->dictionary();
      int64_t longest = 0;
      for (int64_t i = 0; i < d.length(); ++i) {
        longest = std::max<int64_t>(longest, static_cast<int64_t>(d.BinaryValue(i).size()));
      }
      bytes += c->length() * (5 + longest);
    } else if (c->length() > 0) {
      const int32_t* offsets = c->raw_offsets() + c->offset();
      bytes += c->length() * 5 + (offsets[c->length()] - offsets[0]);
    }
  }
  return bytes;
}

int64_t KeyEncoder::ByteSize() const {
  return static_cast<int64_t>(bytes_.capacity() +
                              (offsets_.capacity() + cursor_.capacity()) * sizeof(uint32_t));
}

void KeyEncoder::Release() {
  bytes_ = {};
  offsets_ = {};
  cursor_ = {};
}

template <typename Write>
void KeyEncoder::EncodeEach(const Array& a, Write&& write) {
  // The type is dispatched once per column; this loop is per row.
  const int64_t rows = a.length();
  const bool nullable = a.null_count() != 0;
  uint8_t* bytes = bytes_.data();
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* out = bytes + cursor_[static_cast<size_t>(r)];
    if (nullable && a.IsNull(r)) {
      *out = 0;
      cursor_[static_cast<size_t>(r)] += 1;
      continue;
    }
    *out = 1;
    cursor_[static_cast<size_t>(r)] += 1 + write(r, out + 1);
  }
}

void KeyEncoder::EncodeColumn(const Array& a, const DataType& type) {
  switch (type.id()) {
    case TypeId::kBool:
      return EncodeEach(a, [&](int64_t r, uint8_t* out) {
        *out = a.BoolValue(r) ? 1 : 0;
        return 1u;
      });
    case TypeId::kFloat32:
      return EncodeEach(a, [&](int64_t r, uint8_t* out) {
        WriteFloat<float, uint32_t>(a.Value<float>(r), out);
        return 4u;
      });
    case TypeId::kFloat64:
      return EncodeEach(a, [&](int64_t r, uint8_t* out) {
        WriteFloat<double, uint64_t>(a.Value<double>(r), out);
        return 8u;
      });
    case TypeId::kString:
    case TypeId::kBinary:
      return EncodeEach(a, [&](int64_t r, uint8_t* out) {
        const std::string_view v = a.BinaryValue(r);
        const uint32_t n = static_cast<uint32_t>(v.size());
        std::memcpy(out, &n, 4);
        if (n > 0) std::memcpy(out + 4, v.data(), n);
        return 4 + n;
      });
    default:
      break;
  }
  const uint8_t* values = a.raw_values();
  const int64_t offset = a.offset();
  auto fixed = [&]<size_t kWidth>() {
    EncodeEach(a, [&](int64_t r, uint8_t* out) {
      std::memcpy(out, values + (offset + r) * static_cast<int64_t>(kWidth), kWidth);
      return static_cast<uint32_t>(kWidth);
    });
  };
  switch (type.byte_width()) {
    case 1:
      return fixed.operator()<1>();
    case 2:
      return fixed.operator()<2>();
    case 4:
      return fixed.operator()<4>();
    case 8:
      return fixed.operator()<8>();
    case 16:
      return fixed.operator()<16>();
    default: {
      const int width = type.byte_width();
      return EncodeEach(a, [&](int64_t r, uint8_t* out) {
        std::memcpy(out, values + (offset + r) * width, static_cast<size_t>(width));
        return static_cast<uint32_t>(width);
      });
    }
  }
}

namespace {

// Rows decoded together: their keys stay in cache while each column is read from them, so the
// type is dispatched once per column and chunk rather than once per value.
constexpr size_t kDecodeChunk = 512;
constexpr size_t kDecodePrefetch = 8;

// Appends one column's values from the keys at `cursors` and moves each cursor past them.
template <typename Read>
void DecodeEach(std::span<const uint8_t*> cursors, ArrayBuilder& builder, Read&& read) {
  for (const uint8_t*& p : cursors) {
    if (*p++ == 0) {
      builder.AppendNull();
      continue;
    }
    p += read(p);
  }
}

void DecodeColumn(const DataType& type, std::span<const uint8_t*> cursors, ArrayBuilder& b) {
  switch (type.layout()) {
    case Layout::kBitmap:
      return DecodeEach(cursors, b, [&](const uint8_t* p) {
        static_cast<BoolBuilder&>(b).Append(*p != 0);
        return size_t{1};
      });
    case Layout::kVariableBinary:
      return DecodeEach(cursors, b, [&](const uint8_t* p) {
        uint32_t n;
        std::memcpy(&n, p, 4);
        static_cast<BinaryBuilder&>(b).Append(
            std::string_view(reinterpret_cast<const char*>(p) + 4, n));
        return size_t{4} + n;
      });
    case Layout::kFixedWidth:
      break;
    case Layout::kNested:
      throw InternalError("nested key column {}", type.ToString());  // refused by KeyEncoder
  }
  if (!DispatchFixedWidth(type, [&]<typename T>(T) {
        auto& typed = static_cast<FixedWidthBuilder<T>&>(b);
        DecodeEach(cursors, b, [&](const uint8_t* p) {
          T v;
          std::memcpy(&v, p, sizeof(T));
          typed.Append(v);
          return sizeof(T);
        });
      })) {
    const size_t width = static_cast<size_t>(type.byte_width());
    DecodeEach(cursors, b, [&](const uint8_t* p) {
      static_cast<FixedSizeBinaryBuilder&>(b).Append(
          std::string_view(reinterpret_cast<const char*>(p), width));
      return width;
    });
  }
}

}  // namespace

std::vector<Array> KeyEncoder::Decode(std::span<const std::string_view> keys) const {
  std::vector<std::unique_ptr<ArrayBuilder>> builders;
  for (const DataType& t : types_) {
    builders.push_back(MakeBuilder(t));
    builders.back()->Reserve(static_cast<int64_t>(keys.size()));
  }
  std::vector<const uint8_t*> cursors;
  for (size_t start = 0; start < keys.size(); start += kDecodeChunk) {
    const size_t end = std::min(keys.size(), start + kDecodeChunk);
    cursors.clear();
    for (size_t i = start; i < end; ++i) {
      // Keys merged from several tables are scattered in memory: fetch ahead.
      if (i + kDecodePrefetch < keys.size()) __builtin_prefetch(keys[i + kDecodePrefetch].data());
      cursors.push_back(reinterpret_cast<const uint8_t*>(keys[i].data()));
    }
    for (size_t c = 0; c < types_.size(); ++c) DecodeColumn(types_[c], cursors, *builders[c]);
    if (start == 0 && end < keys.size()) {
      // The first chunk's string bytes, scaled to all keys, size the string buffers once
      // instead of letting them double (and copy) their way up.
      for (size_t c = 0; c < types_.size(); ++c) {
        if (types_[c].layout() != Layout::kVariableBinary) continue;
        auto& b = static_cast<BinaryBuilder&>(*builders[c]);
        b.ReserveData(static_cast<int64_t>(static_cast<double>(b.data_size()) *
                                           static_cast<double>(keys.size() - end) /
                                           static_cast<double>(end) * 1.1));
      }
    }
  }
  std::vector<Array> out;
  for (auto& b : builders) out.push_back(b->Finish());
  return out;
}

}  // namespace sluice
