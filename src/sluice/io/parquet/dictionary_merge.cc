#include "sluice/io/parquet/dictionary_merge.h"

#include <cstring>

#include "sluice/base/error.h"

namespace sluice::parquet {

PlainDictionary::PlainDictionary(std::vector<uint8_t> plain, int64_t count, PhysicalType type,
                                 int32_t type_length)
    : plain_(std::move(plain)) {
  if (count < 0) throw InvalidData("a dictionary page claims {} values", count);
  size_t width = 0;
  switch (type) {
    case PhysicalType::kInt32:
    case PhysicalType::kFloat:
      width = 4;
      break;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble:
      width = 8;
      break;
    case PhysicalType::kInt96:
      width = 12;
      break;
    case PhysicalType::kFixedLenByteArray:
      width = static_cast<size_t>(type_length);
      break;
    case PhysicalType::kByteArray:
      break;
    default:
      throw NotSupported("a dictionary of {} values", PhysicalTypeName(type));
  }
  const char* base = reinterpret_cast<const char*>(plain_.data());
  size_t pos = 0;
  // Each entry takes at least one byte or four, so the claimed count is bounded by the bytes.
  size_t min_entry = width > 0 ? width : 4;
  if (static_cast<uint64_t>(count) > plain_.size() / std::max<size_t>(1, min_entry) + 1) {
    throw InvalidData("a dictionary page claims {} values in {} bytes", count, plain_.size());
  }
  entries_.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    size_t length = width;
    if (width == 0) {
      if (plain_.size() - pos < 4) throw InvalidData("dictionary entry {} passes the page", i);
      uint32_t n;
      std::memcpy(&n, base + pos, 4);
      length = 4 + static_cast<size_t>(n);
    }
    if (plain_.size() - pos < length) throw InvalidData("dictionary entry {} passes the page", i);
    entries_.emplace_back(base + pos, length);
    pos += length;
  }
}

std::vector<uint32_t> DictionaryMerger::Add(const PlainDictionary& dictionary) {
  // Keys are views into plain_; when plain_ must grow, the old buffer moves to blocks_ (so the
  // views stay valid) and plain_ starts over as a copy with room for this dictionary.
  size_t needed = plain_.size() + static_cast<size_t>(dictionary.plain_bytes());
  if (needed > plain_.capacity()) {
    std::vector<uint8_t> bigger;
    bigger.reserve(std::max(needed, plain_.capacity() * 2));
    bigger.assign(plain_.begin(), plain_.end());
    blocks_.push_back(std::move(plain_));
    plain_ = std::move(bigger);
  }
  std::vector<uint32_t> remap(static_cast<size_t>(dictionary.size()));
  for (int64_t i = 0; i < dictionary.size(); ++i) {
    std::string_view value = dictionary.entry(i);
    auto it = index_.find(value);
    if (it != index_.end()) {
      remap[static_cast<size_t>(i)] = it->second;
      continue;
    }
    size_t start = plain_.size();
    plain_.insert(plain_.end(), value.begin(), value.end());
    auto id = static_cast<uint32_t>(offsets_.size());
    offsets_.push_back(start);
    index_.emplace(
        std::string_view(reinterpret_cast<const char*>(plain_.data()) + start, value.size()), id);
    remap[static_cast<size_t>(i)] = id;
  }
  return remap;
}

bool IsIdentityRemap(std::span<const uint32_t> remap) {
  for (size_t i = 0; i < remap.size(); ++i) {
    if (remap[i] != i) return false;
  }
  return true;
}

}  // namespace sluice::parquet
