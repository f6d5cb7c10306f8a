#include "sluice/io/parquet/null_column_chunk.h"

#include <algorithm>
#include <bit>

#include "sluice/base/error.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/page_header.h"

namespace sluice::parquet {
namespace {

constexpr int64_t kMaxPageRows = int64_t{1} << 20;

// A v1 level section of `count` zeros at a max level of `max_level`: the 4-byte length, then
// one RLE run (ULEB128 of count << 1, then the value 0 in the level's byte width).
void AppendZeroLevels(int64_t count, int16_t max_level, std::vector<uint8_t>* out) {
  std::vector<uint8_t> run;
  for (uint64_t header = static_cast<uint64_t>(count) << 1;; header >>= 7) {
    uint8_t byte = header & 0x7f;
    if (header < 0x80) {
      run.push_back(byte);
      break;
    }
    run.push_back(byte | 0x80);
  }
  int bit_width = std::bit_width(static_cast<uint16_t>(max_level));
  run.insert(run.end(), static_cast<size_t>((bit_width + 7) / 8), 0);
  AppendLengthPrefixed(run, out);
}

}  // namespace

NullColumnChunk MakeNullColumnChunk(const ColumnDescriptor& column, int64_t rows,
                                    CompressionCodec codec, Codec& compressor) {
  // A row of nulls is one level entry of 0: it says the top-level field (or the leaf) is null.
  if (column.max_definition_level == 0 || rows < 0) {
    throw InvalidArgument("the column {} cannot hold nulls", column.DottedPath());
  }
  NullColumnChunk chunk;
  ColumnMetaData& meta = chunk.meta;
  meta.type = column.physical_type;
  meta.encodings = {Encoding::kPlain, Encoding::kRle};
  meta.path_in_schema = column.path;
  meta.codec = codec;
  meta.num_values = rows;
  meta.data_page_offset = 0;
  Statistics stats;
  stats.null_count = rows;
  meta.statistics = stats;
  std::vector<uint8_t> body, compressed;
  for (int64_t done = 0, n = 0; done < rows; done += n) {
    n = std::min(kMaxPageRows, rows - done);
    body.clear();
    if (column.max_repetition_level > 0) AppendZeroLevels(n, column.max_repetition_level, &body);
    AppendZeroLevels(n, column.max_definition_level, &body);
    compressed.clear();
    if (codec == CompressionCodec::kUncompressed) {
      compressed = body;
    } else {
      compressor.CompressAppend(body, &compressed);
    }
    PageHeader header;
    header.type = PageType::kDataPage;
    header.uncompressed_page_size = static_cast<int32_t>(body.size());
    header.compressed_page_size = static_cast<int32_t>(compressed.size());
    DataPageHeader data;
    data.num_values = static_cast<int32_t>(n);
    Statistics page_stats;
    page_stats.null_count = n;
    data.statistics = page_stats;
    header.data_page_header = data;
    const size_t start = chunk.bytes.size();
    EncodePageHeader(header, &chunk.bytes);
    chunk.bytes.insert(chunk.bytes.end(), compressed.begin(), compressed.end());
    meta.total_compressed_size += static_cast<int64_t>(chunk.bytes.size() - start);
    meta.total_uncompressed_size +=
        static_cast<int64_t>(chunk.bytes.size() - start - compressed.size() + body.size());
  }
  return chunk;
}

}  // namespace sluice::parquet
