// Parquet page headers: the Thrift struct in front of every page of a column chunk, with its data
// page (v1, v2) and dictionary page parts, plus the decoder and encoder.
//
// DecodePageHeader reads one header at the start of a byte span and reports how many bytes it
// took, so a page reader can walk a column chunk. It checks wire types and required fields
// (InvalidData) and that the sizes are not negative; whether the sizes fit the column chunk is
// for the page reader to check.
//
// Thread safety: plain values; the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/metadata.h"

namespace sluice::parquet {

struct DataPageHeader {
  int32_t num_values = 0;  // including nulls
  Encoding encoding = Encoding::kPlain;
  Encoding definition_level_encoding = Encoding::kRle;
  Encoding repetition_level_encoding = Encoding::kRle;
  std::optional<Statistics> statistics;
  bool operator==(const DataPageHeader&) const = default;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  std::optional<bool> is_sorted;
  bool operator==(const DictionaryPageHeader&) const = default;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;  // including nulls
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  Encoding encoding = Encoding::kPlain;
  // The levels are stored uncompressed ahead of the (possibly compressed) values.
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  std::optional<bool> is_compressed;  // absent means true
  std::optional<Statistics> statistics;
  bool IsCompressed() const { return is_compressed.value_or(true); }
  bool operator==(const DataPageHeaderV2&) const = default;
};

struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  // CRC-32 of the page's bytes as stored (after compression), when the writer recorded one.
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data_page_header;
  bool has_index_page_header = false;
  std::optional<DictionaryPageHeader> dictionary_page_header;
  std::optional<DataPageHeaderV2> data_page_header_v2;
  bool operator==(const PageHeader&) const = default;
};

// Decodes the page header at the start of `data`; stores the header's size in `header_size`.
PageHeader DecodePageHeader(std::span<const uint8_t> data, size_t* header_size,
                            ThriftLimits limits = {});
void EncodePageHeader(const PageHeader& header, std::vector<uint8_t>* out);

}  // namespace sluice::parquet
