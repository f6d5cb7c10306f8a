// The enumerations of the Parquet format (parquet.thrift): physical types, converted types,
// repetition, encodings, codecs, page types and boundary orders. The enums keep the wire values
// and are 32-bit wide so a value written by a newer writer survives decoding; Name functions
// print such a value as "UNKNOWN(n)" and later stages decide whether they can handle it.
//
// Thread safety: pure values and functions.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

enum class Repetition : int32_t {
  kRequired = 0,
  kOptional = 1,
  kRepeated = 2,
};

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class CompressionCodec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,  // deprecated: Hadoop framing or raw blocks, depending on the writer
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

enum class BoundaryOrder : int32_t {
  kUnordered = 0,
  kAscending = 1,
  kDescending = 2,
};

// Names as parquet.thrift spells them ("INT32", "RLE_DICTIONARY", "SNAPPY").
std::string PhysicalTypeName(PhysicalType type);
std::string ConvertedTypeName(ConvertedType type);
std::string RepetitionName(Repetition repetition);
std::string EncodingName(Encoding encoding);
std::string CompressionCodecName(CompressionCodec codec);
std::string PageTypeName(PageType type);
std::string BoundaryOrderName(BoundaryOrder order);

// True when the value is one the format defines (not a future or corrupt value).
bool IsKnown(PhysicalType type);
bool IsKnown(Repetition repetition);

// The width in bytes of a fixed-width physical type (BOOLEAN is bit-packed: 0; BYTE_ARRAY and
// FIXED_LEN_BYTE_ARRAY: 0, their width is per value or per column).
int FixedWidthOf(PhysicalType type);

}  // namespace sluice::parquet
