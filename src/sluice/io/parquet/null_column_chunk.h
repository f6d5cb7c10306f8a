// MakeNullColumnChunk: the pages of a column chunk that holds nothing but nulls, written directly
// from the row count: data pages v1 whose definition levels (and repetition levels, for a leaf
// under a list) are one RLE run of zeros and which hold no values, compressed with the chunk's
// codec. Nothing is decoded. A compaction uses it for a column that some of its inputs lack
// (schema evolution): the chunk is concatenated with the other inputs' chunks like any other.
//
// Every level entry is 0: for a flat OPTIONAL leaf, or a nested one under an OPTIONAL top-level
// field, each row is null. A leaf without definition levels (REQUIRED all the way) cannot hold
// a null: InvalidArgument. Each page holds at most 1 Mi rows; a chunk of 0 rows has no pages;
// the statistics hold only the null count.
//
// Thread safety: pure function; the codec is used by the calling thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/schema.h"

namespace sluice::parquet {

struct NullColumnChunk {
  ColumnMetaData meta;         // offsets as if the chunk's first byte sat at file offset 0
  std::vector<uint8_t> bytes;  // its pages
};

// `rows` rows (records) of nulls of `column`, compressed with `codec` (`compressor` compresses
// with it).
NullColumnChunk MakeNullColumnChunk(const ColumnDescriptor& column, int64_t rows,
                                    CompressionCodec codec, Codec& compressor);

}  // namespace sluice::parquet
