// The page index of a column chunk (PageIndex.md): the ColumnIndex (per-page min/max, null
// pages, null counts) and the OffsetIndex (per-page location and first row), with decoders and
// encoders. Both are stored between the row groups and the footer and are located by the
// ColumnChunk's column_index_offset/length and offset_index_offset/length; ReadColumnPageIndex
// fetches and decodes them for one chunk. The writer builds them with page_index_builder.h.
//
// Thread safety: plain values; the functions are pure (ReadColumnPageIndex only reads its
// source, which supports concurrent reads).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/io/parquet/thrift_compact.h"

namespace sluice::parquet {

struct PageLocation {
  int64_t offset = 0;
  int32_t compressed_page_size = 0;  // including the page header
  int64_t first_row_index = 0;
  bool operator==(const PageLocation&) const = default;
};

struct OffsetIndex {
  std::vector<PageLocation> page_locations;
  std::vector<int64_t> unencoded_byte_array_data_bytes;
  bool operator==(const OffsetIndex&) const = default;
};

struct ColumnIndex {
  std::vector<bool> null_pages;
  std::vector<std::string> min_values;
  std::vector<std::string> max_values;
  BoundaryOrder boundary_order = BoundaryOrder::kUnordered;
  std::vector<int64_t> null_counts;
  std::vector<int64_t> repetition_level_histograms;
  std::vector<int64_t> definition_level_histograms;
  std::vector<int64_t> nan_counts;
  bool operator==(const ColumnIndex&) const = default;
};

// Each decodes a struct that fills `data` exactly; InvalidData on anything else, including lists
// whose lengths disagree (one entry per page).
OffsetIndex DecodeOffsetIndex(std::span<const uint8_t> data, ThriftLimits limits = {});
ColumnIndex DecodeColumnIndex(std::span<const uint8_t> data, ThriftLimits limits = {});
void EncodeOffsetIndex(const OffsetIndex& index, std::vector<uint8_t>* out);
void EncodeColumnIndex(const ColumnIndex& index, std::vector<uint8_t>* out);

// A column chunk's page index; either part may be absent (an OffsetIndex may exist without a
// ColumnIndex, e.g. when a page holds only NaN).
struct ColumnPageIndex {
  std::optional<ColumnIndex> column_index;
  std::optional<OffsetIndex> offset_index;
};

// Reads and decodes the parts of `chunk`'s page index its metadata points at (one ranged read
// each). InvalidData with file and stage "page index" when a range lies outside the file or
// is implausibly large, when a part does not decode, or when the two parts disagree on the
// number of pages.
ColumnPageIndex ReadColumnPageIndex(RandomAccessSource& source, const ColumnChunk& chunk,
                                    ThriftLimits limits = {});

// Only the chunk's OffsetIndex (one ranged read), for a reader that skips pages; nullopt when
// the chunk has none. Errors as ReadColumnPageIndex's.
std::optional<OffsetIndex> ReadOffsetIndex(RandomAccessSource& source, const ColumnChunk& chunk,
                                           ThriftLimits limits = {});

}  // namespace sluice::parquet
