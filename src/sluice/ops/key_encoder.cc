#include "sluice/ops/key_encoder.h"

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

KeyEncoder::KeyEncoder(std::vector<DataType> types) : types_(std::move(types)) {}

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
  std::vector<uint32_t> cursor(offsets_.begin(), offsets_.end() - 1);
  for (size_t c = 0; c < columns.size(); ++c) {
    const Array& a = *columns[c];
    const int width = FixedWidth(types_[c]);
    for (int64_t r = 0; r < rows; ++r) {
      uint8_t* out = bytes_.data() + cursor[r];
      if (a.IsNull(r)) {
        *out = 0;
        cursor[r] += 1;
        continue;
      }
      *out++ = 1;
      switch (types_[c].id()) {
        case TypeId::kBool:
          *out = a.BoolValue(r) ? 1 : 0;
          break;
        case TypeId::kFloat32:
          WriteFloat<float, uint32_t>(a.Value<float>(r), out);
          break;
        case TypeId::kFloat64:
          WriteFloat<double, uint64_t>(a.Value<double>(r), out);
          break;
        case TypeId::kString:
        case TypeId::kBinary: {
          const std::string_view v = a.BinaryValue(r);
          const uint32_t n = static_cast<uint32_t>(v.size());
          std::memcpy(out, &n, 4);
          if (n > 0) std::memcpy(out + 4, v.data(), n);
          cursor[r] += 1 + 4 + n;
          continue;
        }
        default:
          std::memcpy(out, a.raw_values() + (a.offset() + r) * width, static_cast<size_t>(width));
          break;
      }
      cursor[r] += 1 + static_cast<uint32_t>(width);
    }
  }
}

std::vector<Array> KeyEncoder::Decode(std::span<const std::string_view> keys) const {
  std::vector<std::unique_ptr<ArrayBuilder>> builders;
  for (const DataType& t : types_) {
    builders.push_back(MakeBuilder(t));
    builders.back()->Reserve(static_cast<int64_t>(keys.size()));
  }
  for (std::string_view key : keys) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(key.data());
    for (size_t c = 0; c < types_.size(); ++c) {
      ArrayBuilder& b = *builders[c];
      if (*p++ == 0) {
        b.AppendNull();
        continue;
      }
      const int width = FixedWidth(types_[c]);
      switch (types_[c].layout()) {
        case Layout::kBitmap:
          static_cast<BoolBuilder&>(b).Append(*p != 0);
          break;
        case Layout::kVariableBinary: {
          uint32_t n;
          std::memcpy(&n, p, 4);
          static_cast<BinaryBuilder&>(b).Append(
              std::string_view(reinterpret_cast<const char*>(p) + 4, n));
          p += 4 + n;
          continue;
        }
        case Layout::kFixedWidth:
          if (!DispatchFixedWidth(types_[c], [&]<typename T>(T) {
                T v;
                std::memcpy(&v, p, sizeof(T));
                static_cast<FixedWidthBuilder<T>&>(b).Append(v);
              })) {
            static_cast<FixedSizeBinaryBuilder&>(b).Append(
                std::string_view(reinterpret_cast<const char*>(p), width));
          }
          break;
      }
      p += width;
    }
  }
  std::vector<Array> out;
  for (auto& b : builders) out.push_back(b->Finish());
  return out;
}

}  // namespace sluice
