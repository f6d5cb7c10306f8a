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
// A nested leaf (WriterColumn::nested) takes the arrays of its top-level field: its levels come
// from nested_levels.h, its pages end at record boundaries (each page holds whole rows, as v2
// pages must), statistics cover its present values and count the other level entries as nulls.
//
// Given a ColumnPageIndex to fill, it also builds the chunk's page index (page_index_builder.h):
// each data page's location and first row, and its min, max and null count under the same rules
// as the chunk statistics; offsets are file offsets, rows count from the row group's start.
//
// ColumnChunkWriter does the same with buffers it keeps between chunks (gathered values,
// dictionary, page bodies), so a file writer encoding chunk after chunk does not reallocate and
// fault in fresh memory each time; WriteColumnChunk is a one-off use of one.
//
// Thread safety: a ColumnChunkWriter is used by one thread at a time; WriteColumnChunk is a pure
// function; the codec is used by the calling thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/page_header.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/page_index_builder.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/scratch_buffer.h"
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

// The column's values in physical form: definition levels (when nullable), repetition levels
// (a nested leaf under a list), and the non-null values. `rows` counts level entries (a flat
// column's rows).
struct PhysicalColumn {
  int64_t rows = 0;
  std::vector<int16_t> levels;
  std::vector<int16_t> rep_levels;
  PhysicalValues values;
};

class ColumnChunkWriter {
 public:
  // As WriteColumnChunk.
  ColumnChunk Write(const WriterColumn& column, std::span<const Array> pieces,
                    const ColumnWriteOptions& options, Codec& codec, int64_t file_offset,
                    std::vector<uint8_t>* out, ColumnPageIndex* page_index = nullptr);

 private:
  // Compresses body_ (its first `raw_prefix` bytes stay uncompressed, for v2 levels) and appends
  // header and page to `out`.
  void EmitPage(PageHeader header, size_t raw_prefix, Codec& codec, bool crc,
                std::vector<uint8_t>* out, int64_t* compressed_total, int64_t* uncompressed_total);

  PhysicalColumn data_;
  std::vector<uint32_t> indices_;
  PhysicalValues dictionary_;
  std::vector<uint8_t> seen_entries_;  // page statistics over dictionary entries
  std::vector<uint8_t> levels_;
  std::vector<uint8_t> rep_bytes_;
  std::vector<uint8_t> body_;
  ScratchBuffer compressed_;
  PageIndexBuilder page_index_;
};

// Appends the chunk's pages to `out`, whose first byte will sit at file offset `file_offset`;
// returns the chunk's metadata. `pieces` are the column's arrays for this row group, in order.
// When `page_index` is given it receives the chunk's page index.
ColumnChunk WriteColumnChunk(const WriterColumn& column, std::span<const Array> pieces,
                             const ColumnWriteOptions& options, Codec& codec, int64_t file_offset,
                             std::vector<uint8_t>* out, ColumnPageIndex* page_index = nullptr);

}  // namespace sluice::parquet
