// WriteColumnChunk: encodes one column of one row group as a Parquet column chunk: the values
// converted to the physical type (writer_schema.h), an optional dictionary page, then data pages
// (v1 by default, v2 on request) of about `page_size` bytes each with RLE definition levels,
// compressed with the chunk's codec, and the chunk's ColumnMetaData with statistics.
//
// Dictionary encoding is tried for every non-boolean column; when the dictionary's values pass
// `dictionary_size_limit` bytes the whole chunk falls back to PLAIN. Statistics follow the
// column's sort order: signed or unsigned integers, unsigned bytes (strings, binary), signed
// two's complement for decimals, floats without NaN (a -0/+0 boundary is written as -0.0 for min
// and +0.0 for max), plus the null count.
//
// Thread safety: pure function; the codec is used by the calling thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/writer_schema.h"
#include "sluice/table/array.h"

namespace sluice::parquet {

struct ColumnWriteOptions {
  bool dictionary = true;
  int64_t dictionary_size_limit = 1 << 20;
  int64_t page_size = 1 << 20;  // uncompressed bytes per data page, roughly
  bool data_page_v2 = false;
  bool statistics = true;
  bool page_crc = false;  // write each page's CRC-32
};

// Appends the chunk's pages to `out`, whose first byte will sit at file offset `file_offset`;
// returns the chunk's metadata. `pieces` are the column's arrays for this row group, in order.
ColumnChunk WriteColumnChunk(const WriterColumn& column, std::span<const Array> pieces,
                             const ColumnWriteOptions& options, Codec& codec, int64_t file_offset,
                             std::vector<uint8_t>* out);

}  // namespace sluice::parquet
