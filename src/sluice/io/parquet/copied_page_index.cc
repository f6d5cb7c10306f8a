#include "sluice/io/parquet/copied_page_index.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/parquet/page_header.h"

namespace sluice::parquet {
namespace {

// Page headers are small unless their statistics hold long values: read a small window first and
// grow it until the header decodes or the window reaches the chunk's end.
constexpr int64_t kFirstHeaderWindow = 1024;

PageHeader ReadHeader(int64_t offset, int64_t chunk_end, const ReadBytesAt& read,
                      std::vector<uint8_t>& buffer, size_t* header_size) {
  for (int64_t window = kFirstHeaderWindow;; window *= 4) {
    const int64_t n = std::min(window, chunk_end - offset);
    buffer.resize(static_cast<size_t>(n));
    read(offset, buffer);
    try {
      return DecodePageHeader(buffer, header_size);
    } catch (const Error&) {
      if (n == chunk_end - offset) throw;
    }
  }
}

// One data page's ColumnIndex entry; false when the page lacks what it needs.
bool AddIndexEntry(const std::optional<Statistics>& stats, int64_t values,
                   std::optional<int64_t> nulls, ColumnIndex& index) {
  if (!nulls && stats && stats->null_count) nulls = stats->null_count;
  if (!nulls) return false;
  const bool null_page = *nulls == values;
  if (!null_page && !(stats && stats->min_value && stats->max_value)) return false;
  index.null_pages.push_back(null_page);
  index.min_values.push_back(null_page ? std::string() : *stats->min_value);
  index.max_values.push_back(null_page ? std::string() : *stats->max_value);
  index.null_counts.push_back(*nulls);
  return true;
}

}  // namespace

ColumnPageIndex IndexCopiedPages(const ColumnMetaData& meta, bool repeated,
                                 const ReadBytesAt& read) {
  const int64_t start = meta.dictionary_page_offset
                            ? std::min(*meta.dictionary_page_offset, meta.data_page_offset)
                            : meta.data_page_offset;
  const int64_t end = start + meta.total_compressed_size;
  OffsetIndex offsets;
  ColumnIndex columns;
  bool column_index = true;
  std::vector<uint8_t> buffer;
  int64_t row = 0;
  int64_t at = start;
  while (at < end) {
    size_t header_size = 0;
    const PageHeader header = ReadHeader(at, end, read, buffer, &header_size);
    const int64_t stored = static_cast<int64_t>(header_size) + header.compressed_page_size;
    if (header.data_page_header || header.data_page_header_v2) {
      int64_t rows = 0;
      if (const auto& v2 = header.data_page_header_v2) {
        rows = v2->num_rows;
        column_index =
            column_index && AddIndexEntry(v2->statistics, v2->num_values, v2->num_nulls, columns);
      } else {
        if (repeated) return {};  // a v1 page does not say where its rows end
        rows = header.data_page_header->num_values;
        column_index = column_index && AddIndexEntry(header.data_page_header->statistics, rows,
                                                     std::nullopt, columns);
      }
      offsets.page_locations.push_back({at, static_cast<int32_t>(stored), row});
      row += rows;
    }
    at += stored;
  }
  if (at != end) {
    throw InvalidData("the pages of a column chunk end at offset {}, the chunk at {}", at, end);
  }
  if (row != meta.num_values && !repeated) {
    throw InvalidData("the pages of a column chunk hold {} values, its metadata says {}", row,
                      meta.num_values);
  }
  ColumnPageIndex result;
  result.offset_index = std::move(offsets);
  if (column_index) result.column_index = std::move(columns);
  return result;
}

}  // namespace sluice::parquet
