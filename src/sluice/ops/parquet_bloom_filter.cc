#include "sluice/ops/parquet_bloom_filter.h"

#include <cstring>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/parquet/thrift_compact.h"

namespace sluice {
namespace {

// A header is a few bytes; a filter beyond this is not worth a read at open.
constexpr int64_t kMaxHeaderBytes = 256;
constexpr int64_t kMaxFilterBytes = int64_t{128} << 20;

template <typename T>
uint64_t HashOf(T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  return SplitBlockBloomFilter::Hash(std::string_view(bytes, sizeof(T)));
}

// numBytes of a BloomFilterHeader and the header's length; the algorithm, hash and compression
// unions have one member each in the format today (split blocks, XXH64, uncompressed), and a
// header naming another member is refused.
std::optional<std::pair<int32_t, size_t>> ParseHeader(std::span<const uint8_t> bytes) {
  parquet::ThriftCompactReader reader(bytes);
  reader.BeginStruct();
  int32_t num_bytes = -1;
  parquet::ThriftField field;
  while (reader.NextField(&field)) {
    if (field.id == 1 && field.type == parquet::ThriftType::kI32) {
      num_bytes = reader.ReadI32();
      continue;
    }
    if (field.id >= 2 && field.id <= 4 && field.type == parquet::ThriftType::kStruct) {
      reader.BeginStruct();  // the union: its one member must be the first
      parquet::ThriftField member;
      while (reader.NextField(&member)) {
        if (member.id != 1) return std::nullopt;
        reader.Skip(member.type);
      }
      reader.EndStruct();
      continue;
    }
    reader.Skip(field.type);
  }
  reader.EndStruct();
  if (num_bytes <= 0 || num_bytes % 32 != 0 || num_bytes > kMaxFilterBytes) return std::nullopt;
  return std::make_pair(num_bytes, reader.position());
}

}  // namespace

std::optional<SplitBlockBloomFilter> ReadParquetBloomFilter(parquet::RandomAccessSource& source,
                                                            const parquet::ColumnMetaData& column) {
  if (!column.bloom_filter_offset) return std::nullopt;
  const int64_t offset = *column.bloom_filter_offset;
  try {
    const int64_t size = source.Size();
    if (offset < 0 || offset >= size) return std::nullopt;
    int64_t want = column.bloom_filter_length ? *column.bloom_filter_length : kMaxHeaderBytes;
    want = std::min(want, size - offset);
    std::vector<uint8_t> bytes(static_cast<size_t>(want));
    source.ReadAt(offset, bytes);
    const auto header = ParseHeader(bytes);
    if (!header) return std::nullopt;
    const auto [num_bytes, header_bytes] = *header;
    if (offset + static_cast<int64_t>(header_bytes) + num_bytes > size) return std::nullopt;
    if (bytes.size() < header_bytes + static_cast<size_t>(num_bytes)) {
      bytes.resize(header_bytes + static_cast<size_t>(num_bytes));
      source.ReadAt(offset + static_cast<int64_t>(header_bytes),
                    std::span<uint8_t>(bytes).subspan(header_bytes));
    }
    return SplitBlockBloomFilter::FromBytes(
        std::span<const char>(reinterpret_cast<const char*>(bytes.data()) + header_bytes,
                              static_cast<size_t>(num_bytes)));
  } catch (const Error&) {
    return std::nullopt;  // an unreadable optional index proves nothing
  }
}

std::optional<uint64_t> ParquetBloomHash(const ColumnStatistics::Value& value,
                                         parquet::PhysicalType physical) {
  using parquet::PhysicalType;
  if (const std::string* s = std::get_if<std::string>(&value)) {
    if (physical != PhysicalType::kByteArray && physical != PhysicalType::kFixedLenByteArray) {
      return std::nullopt;
    }
    return SplitBlockBloomFilter::Hash(*s);
  }
  uint64_t bits = 0;
  if (const int64_t* i = std::get_if<int64_t>(&value)) {
    bits = static_cast<uint64_t>(*i);
  } else if (const uint64_t* u = std::get_if<uint64_t>(&value)) {
    bits = *u;
  } else {
    return std::nullopt;
  }
  if (physical == PhysicalType::kInt32) return HashOf(static_cast<uint32_t>(bits));
  if (physical == PhysicalType::kInt64) return HashOf(bits);
  return std::nullopt;
}

}  // namespace sluice
