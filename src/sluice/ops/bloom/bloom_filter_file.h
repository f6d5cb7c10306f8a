// The .bloom file: one split-block Bloom filter with what it was built from. Layout (integers
// little-endian):
//
//   offset  size  content
//   0       8     magic "SLBLOOM1"
//   8       4     u32 M, the metadata length
//   12      M     metadata, a JSON object: column, value_type (string | int32 | int64), items
//                 (values inserted), expected_items (what the filter was sized for),
//                 target_fpr, sizing (given | estimated | counted), num_blocks
//   12+M    ...   the filter exactly as Parquet stores one for a column chunk: a Thrift
//                 compact-protocol BloomFilterHeader {1: i32 numBytes, 2: algorithm BLOCK,
//                 3: hash XXHASH, 4: compression UNCOMPRESSED} (bytes 15 <zigzag varint
//                 numBytes> 1C 1C 00 00 1C 1C 00 00 1C 1C 00 00 00), then numBytes bytes of bitset
//   end-8   8     u64 XXH64 (seed 0) of every byte before it
//
// So the bitset after the header can be copied into a Parquet file's bloom filter section, and
// any Parquet SBBF reader can probe it with XXH64 of the value's plain encoding.
//
// Thread safety: pure functions and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/io/fs/file_system.h"
#include "sluice/ops/bloom/split_block_bloom_filter.h"
#include "sluice/table/type.h"

namespace sluice {

// How a column's text values are turned into the bytes that are hashed (Parquet's plain
// encoding of the column's physical type): string as its bytes, int32/int64 as 4/8 bytes.
enum class BloomValueType { kString, kInt32, kInt64 };
std::string_view BloomValueTypeName(BloomValueType type);
// InvalidArgument for other names.
BloomValueType ParseBloomValueType(std::string_view name);
// The value's hash, or nullopt when the text is not a valid value of the type.
std::optional<uint64_t> HashBloomValue(BloomValueType type, std::string_view text);
// What a column of sluice type `type` hashes as: strings and binary as their bytes, int32 and
// int64 as their 4 or 8 little-endian bytes; NotSupported naming `column` for other types.
BloomValueType BloomValueTypeOf(const DataType& type, const std::string& column);

struct BloomFilterFile {
  std::string column;
  BloomValueType value_type = BloomValueType::kString;
  int64_t items = 0;
  int64_t expected_items = 0;
  double target_fpr = 0.01;
  std::string sizing;  // given | estimated | counted
  SplitBlockBloomFilter filter;
};

std::string EncodeBloomFilterFile(const BloomFilterFile& file);
// InvalidData (with `name` as the file context) for anything malformed or a checksum mismatch.
BloomFilterFile DecodeBloomFilterFile(std::string_view bytes, const std::string& name);

void WriteBloomFilterFile(fs::FileSystem& fs, const std::string& path, const BloomFilterFile& file);
BloomFilterFile ReadBloomFilterFile(fs::FileSystem& fs, const std::string& path);

}  // namespace sluice
