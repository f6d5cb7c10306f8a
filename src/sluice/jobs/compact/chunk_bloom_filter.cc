#include "sluice/jobs/compact/chunk_bloom_filter.h"

#include <algorithm>
#include <bit>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_reader.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/jobs/compact/array_widening.h"
#include "sluice/ops/bloom/split_block_bloom_filter.h"
#include "sluice/table/xxhash64.h"

namespace sluice::compact {
namespace {

using parquet::PhysicalType;

constexpr int64_t kBatchRows = 64 * 1024;

// An integer value of the array at `i`, whatever its integer type.
int64_t IntegerAt(const Array& a, int64_t i) {
  switch (a.type().id()) {
    case TypeId::kInt8:
      return a.Value<int8_t>(i);
    case TypeId::kInt16:
      return a.Value<int16_t>(i);
    case TypeId::kInt32:
    case TypeId::kDate32:
      return a.Value<int32_t>(i);
    case TypeId::kUInt8:
      return a.Value<uint8_t>(i);
    case TypeId::kUInt16:
      return a.Value<uint16_t>(i);
    case TypeId::kUInt32:
      return a.Value<uint32_t>(i);
    case TypeId::kUInt64:
      return static_cast<int64_t>(a.Value<uint64_t>(i));
    default:
      return a.Value<int64_t>(i);
  }
}

uint64_t HashAt(const Array& a, int64_t i, PhysicalType physical) {
  switch (physical) {
    case PhysicalType::kInt32: {
      // The plain encoding of an INT32 is its low four bytes (an UINT_32 is stored so too).
      const auto v = static_cast<int32_t>(IntegerAt(a, i));
      return XxHash64(&v, sizeof(v), 0);
    }
    case PhysicalType::kInt64: {
      const int64_t v = IntegerAt(a, i);
      return XxHash64(&v, sizeof(v), 0);
    }
    default:
      return SplitBlockBloomFilter::Hash(a.BinaryValue(i));
  }
}

// The header of a Parquet Bloom filter of `num_bytes` bytes: field 1 (i32 numBytes, zigzag
// varint), then algorithm BLOCK, hash XXHASH and compression UNCOMPRESSED (each a union holding
// an empty struct in its field 1), then the stop.
void AppendHeader(int64_t num_bytes, std::vector<uint8_t>& out) {
  out.push_back(0x15);
  for (uint64_t zigzag = static_cast<uint64_t>(num_bytes) << 1;; zigzag >>= 7) {
    if (zigzag < 0x80) {
      out.push_back(static_cast<uint8_t>(zigzag));
      break;
    }
    out.push_back(static_cast<uint8_t>((zigzag & 0x7f) | 0x80));
  }
  constexpr uint8_t kTail[13] = {0x1C, 0x1C, 0x00, 0x00, 0x1C, 0x1C, 0x00,
                                 0x00, 0x1C, 0x1C, 0x00, 0x00, 0x00};
  out.insert(out.end(), std::begin(kTail), std::end(kTail));
}

}  // namespace

void HashBloomValues(const Array& batch, PhysicalType physical, std::vector<uint64_t>& hashes) {
  const Array& values = batch.is_dictionary() ? *batch.dictionary() : batch;
  for (int64_t i = 0; i < batch.length(); ++i) {
    if (batch.IsNull(i)) continue;
    const int64_t at = batch.is_dictionary() ? batch.raw_indices()[batch.offset() + i] : i;
    hashes.push_back(HashAt(values, at, physical));
  }
}

void CheckBloomFilterColumn(const parquet::ColumnDescriptor& column) {
  const PhysicalType physical = column.physical_type;
  const bool hashable = physical == PhysicalType::kInt32 || physical == PhysicalType::kInt64 ||
                        physical == PhysicalType::kByteArray ||
                        physical == PhysicalType::kFixedLenByteArray;
  const TypeId type = parquet::ResolveColumnType(column).field.type.id();
  if (column.nested || !hashable || type == TypeId::kDecimal128) {
    throw NotSupported(
        "--bloom-filter takes flat integer, date, timestamp, string and binary columns")
        .With("column", column.DottedPath());
  }
}

std::vector<uint8_t> BuildChunkBloomFilter(const parquet::ColumnDescriptor& column,
                                           std::span<const ReencodeInput> inputs, double fpp) {
  const DataType type = parquet::ResolveColumnType(column).field.type;
  std::vector<uint64_t> hashes;
  for (const ReencodeInput& in : inputs) {
    if (in.leaf < 0) continue;  // nulls only
    parquet::ColumnChunkReader reader(*in.source, *in.file->footer, in.row_group, in.leaf);
    for (int64_t read = 0; read < in.rows;) {
      Array batch = reader.Read(kBatchRows);
      if (batch.length() == 0) break;
      read += batch.length();
      HashBloomValues(WidenArray(batch, type), column.physical_type, hashes);
    }
    reader.CheckFullyRead();
  }
  return BloomFilterOfHashes(std::move(hashes), fpp);
}

std::vector<uint8_t> BloomFilterOfHashes(std::vector<uint64_t> hashes, double fpp) {
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  const int64_t max_blocks = kMaxBloomFilterBytes / int64_t{SplitBlockBloomFilter::kBytesPerBlock};
  const auto wanted = static_cast<uint64_t>(
      SplitBlockBloomFilter::BlocksFor(static_cast<int64_t>(hashes.size()), fpp));
  const int64_t blocks =
      std::min(max_blocks, static_cast<int64_t>(std::bit_ceil(std::max<uint64_t>(wanted, 1))));
  SplitBlockBloomFilter filter(blocks);
  filter.InsertMany(hashes);
  std::vector<uint8_t> out;
  out.reserve(filter.num_bytes() + 32);
  AppendHeader(static_cast<int64_t>(filter.num_bytes()), out);
  const std::span<const char> bits = filter.bytes();
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(bits.data()),
             reinterpret_cast<const uint8_t*>(bits.data()) + bits.size());
  return out;
}

int64_t BloomFilterWorkBytes(int64_t rows) {
  // Each row's hash, one decoded batch (widened) and the filter (about 1.2 bytes a distinct value
  // at 1%, doubled at most by the rounding).
  return 8 * rows + 32 * kBatchRows + std::min(kMaxBloomFilterBytes, 4 * rows + 32);
}

}  // namespace sluice::compact
