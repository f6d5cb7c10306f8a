#include "sluice/io/parquet/format_enums.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace sluice::parquet {
namespace {

template <size_t N>
std::string NameOf(const std::array<std::string_view, N>& names, int32_t value) {
  if (value >= 0 && static_cast<size_t>(value) < N && !names[value].empty()) {
    return std::string(names[value]);
  }
  return fmt::format("UNKNOWN({})", value);
}

}  // namespace

std::string PhysicalTypeName(PhysicalType type) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return NameOf(kNames, static_cast<int32_t>(type));
}

std::string ConvertedTypeName(ConvertedType type) {
  static constexpr std::array<std::string_view, 22> kNames = {"UTF8",
                                                              "MAP",
                                                              "MAP_KEY_VALUE",
                                                              "LIST",
                                                              "ENUM",
                                                              "DECIMAL",
                                                              "DATE",
                                                              "TIME_MILLIS",
                                                              "TIME_MICROS",
                                                              "TIMESTAMP_MILLIS",
                                                              "TIMESTAMP_MICROS",
                                                              "UINT_8",
                                                              "UINT_16",
                                                              "UINT_32",
                                                              "UINT_64",
                                                              "INT_8",
                                                              "INT_16",
                                                              "INT_32",
                                                              "INT_64",
                                                              "JSON",
                                                              "BSON",
                                                              "INTERVAL"};
  return NameOf(kNames, static_cast<int32_t>(type));
}

std::string RepetitionName(Repetition repetition) {
  static constexpr std::array<std::string_view, 3> kNames = {"REQUIRED", "OPTIONAL", "REPEATED"};
  return NameOf(kNames, static_cast<int32_t>(repetition));
}

std::string EncodingName(Encoding encoding) {
  static constexpr std::array<std::string_view, 10> kNames = {"PLAIN",
                                                              "",
                                                              "PLAIN_DICTIONARY",
                                                              "RLE",
                                                              "BIT_PACKED",
                                                              "DELTA_BINARY_PACKED",
                                                              "DELTA_LENGTH_BYTE_ARRAY",
                                                              "DELTA_BYTE_ARRAY",
                                                              "RLE_DICTIONARY",
                                                              "BYTE_STREAM_SPLIT"};
  return NameOf(kNames, static_cast<int32_t>(encoding));
}

std::string CompressionCodecName(CompressionCodec codec) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  return NameOf(kNames, static_cast<int32_t>(codec));
}

std::string PageTypeName(PageType type) {
  static constexpr std::array<std::string_view, 4> kNames = {"DATA_PAGE", "INDEX_PAGE",
                                                             "DICTIONARY_PAGE", "DATA_PAGE_V2"};
  return NameOf(kNames, static_cast<int32_t>(type));
}

std::string BoundaryOrderName(BoundaryOrder order) {
  static constexpr std::array<std::string_view, 3> kNames = {"UNORDERED", "ASCENDING",
                                                             "DESCENDING"};
  return NameOf(kNames, static_cast<int32_t>(order));
}

bool IsKnown(PhysicalType type) {
  auto value = static_cast<int32_t>(type);
  return value >= 0 && value <= 7;
}

bool IsKnown(Repetition repetition) {
  auto value = static_cast<int32_t>(repetition);
  return value >= 0 && value <= 2;
}

int FixedWidthOf(PhysicalType type) {
  switch (type) {
    case PhysicalType::kInt32:
    case PhysicalType::kFloat:
      return 4;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble:
      return 8;
    case PhysicalType::kInt96:
      return 12;
    default:
      return 0;
  }
}

}  // namespace sluice::parquet
