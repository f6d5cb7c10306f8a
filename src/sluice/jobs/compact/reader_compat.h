// ReaderCompat: which readers the compacted files must stay readable by (`--compat`). Pages are
// copied as they came unless the reader family cannot read them: a BYTE_STREAM_SPLIT page it
// cannot read is rewritten as PLAIN (column_chunk_concat.h's plain_byte_stream_split: the value
// bytes gathered back, nothing else decoded); the other pages of the chunk are still copied.
//
//   duckdb  DuckDB (1.5) refuses BYTE_STREAM_SPLIT on anything but FLOAT and DOUBLE.
//   spark   Spark's vectorized reader (3.x) reads no BYTE_STREAM_SPLIT at all, and Spark ships
//           no Brotli or LZO codec.
//   any     (the default) both of those at once, so DuckDB, Spark and Polars (which reads all
//           of the above) can all read the output.
//   none    every page is copied as it came.
//
// Input codecs never reach the output (a page in another codec than --codec is recompressed, the
// legacy LZ4 framing included), so only the output codec is checked; our --codec lz4 is LZ4_RAW.
//
// Thread safety: pure values and functions.
#pragma once

#include <string>
#include <string_view>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/schema.h"

namespace sluice::compact {

enum class ReaderCompat { kAny, kDuckDb, kSpark, kNone };

// "any", "duckdb", "spark", "none".
std::string_view ReaderCompatName(ReaderCompat compat);
// InvalidArgument naming the choices for another name.
ReaderCompat ParseReaderCompat(std::string_view name);

// True when the readers of `compat` can read the chunk's pages as they are (its encodings, as its
// metadata lists them).
bool ChunkReadableBy(ReaderCompat compat, const parquet::ColumnDescriptor& column,
                     const parquet::ColumnMetaData& meta);

// InvalidArgument when the readers of `compat` cannot read pages compressed with `codec`.
void CheckOutputCodec(ReaderCompat compat, parquet::CompressionCodec codec);

}  // namespace sluice::compact
