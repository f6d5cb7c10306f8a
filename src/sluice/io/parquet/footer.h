// Reading a Parquet file's footer: the metadata-only read behind listing and planning. One
// ranged read of the file's tail (64 KiB by default) normally holds the whole footer; only a
// larger footer costs a second read. The result carries the decoded FileMetaData, the schema
// tree with its leaf columns, and where the footer sits.
//
// Everything a later stage relies on is validated here, so the page reader can trust it: magic
// bytes, footer length, the schema tree, one column chunk per leaf in every row group, chunk
// types matching the schema, chunk byte ranges inside the file's data area, non-negative counts.
// Failures are InvalidData with the file, stage "footer", and the row group and column where one
// applies. Encrypted files (a "PARE" tail, or an encryption algorithm in a plaintext footer, or
// encrypted column metadata) and column chunks stored in other files are NotSupported.
//
// Thread safety: pure functions over a source that supports concurrent reads.
#pragma once

#include <cstdint>
#include <string>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/io/parquet/schema.h"

namespace sluice::parquet {

struct FooterOptions {
  // Bytes read from the end of the file in the first (usually only) read.
  int64_t tail_read_size = 64 * 1024;
  // A footer claiming more than this is refused rather than allocated.
  int64_t max_metadata_size = 256 * 1024 * 1024;
  ThriftLimits thrift_limits;
};

struct ParquetFooter {
  FileMetaData metadata;
  ParquetSchema schema;
  int64_t file_size = 0;
  // The serialized FileMetaData occupies [metadata_offset, metadata_offset + metadata_length).
  int64_t metadata_offset = 0;
  int64_t metadata_length = 0;
  int reads = 0;  // ranged reads it took: 1, or 2 for a footer larger than the first read
};

// The byte range [start, start + length) of a column chunk's pages: from its dictionary page (when
// the offset is plausible; some writers record 0) or its first data page.
struct ColumnChunkRange {
  int64_t start = 0;
  int64_t length = 0;
};
ColumnChunkRange ComputeColumnChunkRange(const ColumnMetaData& column);

// The range to read for a column chunk's pages: ComputeColumnChunkRange, plus up to 100 bytes
// (capped at `data_end`) for files from parquet-mr before 1.2.9, which left the dictionary page
// header out of total_compressed_size (PARQUET-816). Read the pages with a PageIterator that
// stops at the chunk's value count, so the padding is never taken for a page.
ColumnChunkRange ColumnChunkReadRange(const ColumnMetaData& column, const FileMetaData& metadata,
                                      int64_t data_end);

ParquetFooter ReadFooter(RandomAccessSource& source, const FooterOptions& options = {});
ParquetFooter ReadFooter(const std::string& path, const FooterOptions& options = {});

// Checks decoded metadata against the schema and the file layout (see the header comment); used
// by ReadFooter, public for writers that want to check what they are about to write.
void ValidateFileMetaData(const FileMetaData& metadata, const ParquetSchema& schema,
                          int64_t data_end);

}  // namespace sluice::parquet
