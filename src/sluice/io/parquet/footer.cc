#include "sluice/io/parquet/footer.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <tuple>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_system_source.h"

namespace sluice::parquet {
namespace {

constexpr char kMagic[4] = {'P', 'A', 'R', '1'};
constexpr char kEncryptedMagic[4] = {'P', 'A', 'R', 'E'};
constexpr int64_t kMagicSize = 4;
// The trailer: 4-byte little-endian metadata length, then the magic.
constexpr int64_t kTrailerSize = 8;

uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

Error ChunkError(size_t row_group, size_t column, std::string message) {
  return InvalidData("{}", message)
      .With("row_group", std::to_string(row_group))
      .With("column", std::to_string(column));
}

void ValidateColumnChunk(const ColumnChunk& chunk, const ColumnDescriptor& leaf, size_t rg,
                         size_t c, int64_t data_end) {
  if (chunk.has_crypto_metadata || chunk.has_encrypted_column_metadata) {
    throw NotSupported("encrypted files are not supported (column {} is encrypted)",
                       leaf.DottedPath())
        .With("row_group", std::to_string(rg));
  }
  if (chunk.file_path) {
    throw NotSupported("column chunks in other files are not supported (column {} is in {})",
                       leaf.DottedPath(), *chunk.file_path)
        .With("row_group", std::to_string(rg));
  }
  if (!chunk.meta_data) {
    throw ChunkError(rg, c, "column chunk " + leaf.DottedPath() + " has no metadata");
  }
  const ColumnMetaData& meta = *chunk.meta_data;
  if (meta.type != leaf.physical_type) {
    throw ChunkError(rg, c,
                     "column chunk " + leaf.DottedPath() + " has type " +
                         PhysicalTypeName(meta.type) + " but the schema says " +
                         PhysicalTypeName(leaf.physical_type));
  }
  if (meta.num_values < 0 || meta.total_compressed_size < 0 || meta.total_uncompressed_size < 0) {
    throw ChunkError(rg, c, "column chunk " + leaf.DottedPath() + " has a negative count or size");
  }
  ColumnChunkRange range = ComputeColumnChunkRange(meta);
  if (range.length == 0 && meta.num_values == 0) return;
  if (range.start < kMagicSize || range.start > data_end || range.length > data_end - range.start) {
    throw ChunkError(rg, c,
                     "column chunk " + leaf.DottedPath() + " spans bytes [" +
                         std::to_string(range.start) + ", " +
                         std::to_string(range.start + range.length) +
                         ") outside the data area [4, " + std::to_string(data_end) + ")");
  }
}

// True for writers with PARQUET-816: parquet-mr before 1.2.9, or without a version at all.
bool HasParquet816(const FileMetaData& metadata) {
  if (!metadata.created_by) return false;
  std::string_view created_by = *metadata.created_by;
  if (!created_by.starts_with("parquet-mr")) return false;
  size_t at = created_by.find("version ");
  if (at == std::string_view::npos) return true;
  int parts[3] = {0, 0, 0};
  size_t i = at + 8;
  for (int p = 0; p < 3 && i < created_by.size(); ++p) {
    while (i < created_by.size() && created_by[i] >= '0' && created_by[i] <= '9') {
      parts[p] = std::min(parts[p] * 10 + (created_by[i] - '0'), 1000000);
      ++i;
    }
    if (i >= created_by.size() || created_by[i] != '.') break;
    ++i;
  }
  return std::make_tuple(parts[0], parts[1], parts[2]) < std::make_tuple(1, 2, 9);
}

}  // namespace

ColumnChunkRange ColumnChunkReadRange(const ColumnMetaData& column, const FileMetaData& metadata,
                                      int64_t data_end) {
  ColumnChunkRange range = ComputeColumnChunkRange(column);
  if (HasParquet816(metadata)) {
    constexpr int64_t kMaxDictionaryHeaderSize = 100;
    range.length +=
        std::clamp<int64_t>(data_end - (range.start + range.length), 0, kMaxDictionaryHeaderSize);
  }
  return range;
}

ColumnChunkRange ComputeColumnChunkRange(const ColumnMetaData& column) {
  ColumnChunkRange range{column.data_page_offset, column.total_compressed_size};
  // A dictionary page comes first. Some writers record a dictionary offset of 0 (no dictionary
  // after all), and Arrow records a data page offset of 0 for a chunk that has only a dictionary.
  if (column.dictionary_page_offset && *column.dictionary_page_offset >= kMagicSize &&
      (*column.dictionary_page_offset < range.start || range.start < kMagicSize)) {
    range.start = *column.dictionary_page_offset;
  }
  return range;
}

void ValidateFileMetaData(const FileMetaData& metadata, const ParquetSchema& schema,
                          int64_t data_end) {
  if (metadata.encryption_algorithm) {
    throw NotSupported("encrypted files are not supported (plaintext footer, encrypted columns)");
  }
  if (metadata.num_rows < 0) throw InvalidData("negative num_rows {}", metadata.num_rows);
  size_t leaves = schema.columns().size();
  for (size_t rg = 0; rg < metadata.row_groups.size(); ++rg) {
    const RowGroup& row_group = metadata.row_groups[rg];
    if (row_group.num_rows < 0) {
      throw InvalidData("row group has negative num_rows {}", row_group.num_rows)
          .With("row_group", std::to_string(rg));
    }
    if (row_group.columns.size() != leaves) {
      throw InvalidData("row group has {} column chunks but the schema has {} leaf columns",
                        row_group.columns.size(), leaves)
          .With("row_group", std::to_string(rg));
    }
    for (size_t c = 0; c < leaves; ++c) {
      ValidateColumnChunk(row_group.columns[c], schema.columns()[c], rg, c, data_end);
    }
  }
}

ParquetFooter ReadFooter(RandomAccessSource& source, const FooterOptions& options) {
  try {
    ParquetFooter footer;
    footer.file_size = source.Size();
    if (footer.file_size < kMagicSize + kTrailerSize) {
      throw InvalidData("a {}-byte file is too small to be Parquet", footer.file_size);
    }
    int64_t tail_size = std::min(footer.file_size, std::max(options.tail_read_size, kTrailerSize));
    std::vector<uint8_t> tail(tail_size);
    source.ReadAt(footer.file_size - tail_size, tail);
    footer.reads = 1;
    const uint8_t* trailer = tail.data() + tail_size - kTrailerSize;
    if (std::memcmp(trailer + 4, kEncryptedMagic, 4) == 0) {
      throw NotSupported("encrypted files are not supported (encrypted footer)");
    }
    if (std::memcmp(trailer + 4, kMagic, 4) != 0) {
      throw InvalidData("the file does not end with the Parquet magic PAR1");
    }
    if (tail_size == footer.file_size && std::memcmp(tail.data(), kMagic, 4) != 0) {
      throw InvalidData("the file does not start with the Parquet magic PAR1");
    }
    footer.metadata_length = LoadLe32(trailer);
    if (footer.metadata_length > footer.file_size - kMagicSize - kTrailerSize) {
      throw InvalidData("the footer length {} exceeds the {}-byte file", footer.metadata_length,
                        footer.file_size);
    }
    if (footer.metadata_length > options.max_metadata_size) {
      throw NotSupported("the footer of {} bytes exceeds the limit of {} bytes",
                         footer.metadata_length, options.max_metadata_size);
    }
    footer.metadata_offset = footer.file_size - kTrailerSize - footer.metadata_length;
    std::span<const uint8_t> metadata_bytes;
    std::vector<uint8_t> whole;
    if (footer.metadata_length + kTrailerSize <= tail_size) {
      metadata_bytes = std::span<const uint8_t>(tail).subspan(
          tail_size - kTrailerSize - footer.metadata_length, footer.metadata_length);
    } else {
      // The footer is larger than the first read: fetch only the part that is missing.
      int64_t missing = footer.metadata_length + kTrailerSize - tail_size;
      whole.resize(footer.metadata_length);
      source.ReadAt(footer.metadata_offset, std::span<uint8_t>(whole.data(), missing));
      std::memcpy(whole.data() + missing, tail.data(), tail_size - kTrailerSize);
      footer.reads = 2;
      metadata_bytes = whole;
    }
    size_t consumed = 0;
    footer.metadata = DecodeFileMetaData(metadata_bytes, options.thrift_limits, &consumed);
    footer.schema = ParquetSchema::Build(footer.metadata.schema);
    ValidateFileMetaData(footer.metadata, footer.schema, footer.metadata_offset);
    return footer;
  } catch (Error& error) {
    throw std::move(error.With("stage", "footer").With("file", source.name()));
  }
}

ParquetFooter ReadFooter(const std::string& path, const FooterOptions& options) {
  std::unique_ptr<RandomAccessSource> source = OpenRandomAccessSource(path);
  return ReadFooter(*source, options);
}

}  // namespace sluice::parquet
