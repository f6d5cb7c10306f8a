// Walking the pages of one column chunk: PageIterator decodes each page header in the chunk's
// bytes and hands out the header with the page's stored (compressed) bytes; DecompressPage turns
// those into the page's uncompressed bytes, with the v2 layout (levels stored uncompressed ahead
// of the values, and the is_compressed flag) and empty pages handled.
//
// Headers that do not decode and pages that pass the end of the chunk are InvalidData with the
// page's index and file offset as context. The iterator does not decide what pages mean; the
// column reader does.
//
// Ownership: the iterator borrows the chunk bytes; pages point into them. Thread safety: one
// thread per iterator.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/page_header.h"

namespace sluice::parquet {

struct RawPage {
  PageHeader header;
  int64_t index = 0;              // position of the page in the chunk
  int64_t file_offset = 0;        // of the page header
  std::span<const uint8_t> data;  // the compressed_page_size bytes after the header
};

class PageIterator {
 public:
  // `chunk` holds a column chunk's bytes, the first of which is at `chunk_file_offset`;
  // `num_values` is the chunk's value count (ColumnMetaData::num_values).
  PageIterator(std::span<const uint8_t> chunk, int64_t chunk_file_offset, int64_t num_values,
               ThriftLimits limits = {});

  // The next page, or false once the data pages have held `num_values` values or the chunk's
  // bytes are used up (whichever comes first: a read range may carry padding after the chunk).
  bool Next(RawPage* page);

 private:
  std::span<const uint8_t> chunk_;
  int64_t chunk_file_offset_;
  ThriftLimits limits_;
  int64_t num_values_;
  int64_t values_seen_ = 0;
  size_t pos_ = 0;
  int64_t index_ = 0;
};

// Writes the page's uncompressed_page_size bytes to `out` (resized). `codec` must be the column
// chunk's codec. InvalidData when the sizes disagree or the data is corrupt.
void DecompressPage(const PageHeader& header, std::span<const uint8_t> data, Codec& codec,
                    std::vector<uint8_t>* out);
// The same into `out`, which must hold exactly uncompressed_page_size bytes (the reader's reused
// page buffer: nothing is zeroed first).
void DecompressPage(const PageHeader& header, std::span<const uint8_t> data, Codec& codec,
                    std::span<uint8_t> out);

}  // namespace sluice::parquet
