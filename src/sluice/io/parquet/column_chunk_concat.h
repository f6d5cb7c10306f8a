// Column-chunk concatenation, the core of Parquet compaction: the column chunks of several row
// groups (from any files of one schema) become one column chunk without decoding values where it
// can be avoided.
//
//   - A data page that is not dictionary-encoded is copied verbatim (header and stored bytes)
//     when its chunk's codec is the output codec, else decompressed and recompressed.
//   - Dictionary pages are merged into one dictionary (dictionary_merge.h). A dictionary-encoded
//     data page whose indices keep their meaning (the first dictionary, or identical ones) is
//     copied verbatim; otherwise its indices are decoded, remapped and re-encoded, and its level
//     bytes are carried over unchanged.
//   - When the merged dictionary would pass max_dictionary_bytes, no dictionary is written and
//     dictionary-encoded pages become PLAIN pages, gathered from their own dictionary's PLAIN
//     bytes. A chunk may thus hold a dictionary followed by both kinds of pages, as parquet-mr's
//     fallback writes.
//   - With plain_byte_stream_split, a BYTE_STREAM_SPLIT data page becomes a PLAIN one: its values'
//     bytes are gathered back (the width is the physical type's), its levels are kept.
//   - Nested leaves (lists, maps, structs, any depth) take the same path: each page holds its own
//     repetition and definition levels and each input chunk begins a record, so pages append as
//     they are; a page's values are counted from its definition levels (v1 and v2 alike).
//   - Statistics are merged from the inputs' chunk statistics (statistics_merge.h); page headers'
//     statistics are kept, since the values in a page never change.
//
// Inputs are the chunks' bytes as read (footer.h ColumnChunkReadRange), all of one leaf column.
// Errors are InvalidData with the input's file, row group, column and page.
//
// Ownership: inputs are borrowed for the call; the output bytes are appended to the caller's
// vector, or handed to the caller's sink piece by piece as they are made, so that a large chunk
// need not be held whole. Thread safety: a CodecCache belongs to one thread; the function is
// otherwise pure (the sink runs on the calling thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/schema.h"

namespace sluice::parquet {

struct ChunkInput {
  const ColumnMetaData* meta = nullptr;
  std::span<const uint8_t> bytes;  // the chunk's pages
  int64_t file_offset = 0;         // file offset of bytes[0]
  const std::string* file = nullptr;
  int row_group = 0;
};

struct ChunkConcatOptions {
  CompressionCodec codec = CompressionCodec::kSnappy;
  std::optional<int> compression_level;
  // A merged dictionary larger than this (PLAIN bytes) is not written; pages go PLAIN instead.
  int64_t max_dictionary_bytes = 2 << 20;
  // BYTE_STREAM_SPLIT data pages are rewritten as PLAIN (their value bytes gathered back; levels
  // untouched), for readers that cannot read that encoding.
  bool plain_byte_stream_split = false;
};

// What the concatenation did with the pages, for the job's summary.
struct ChunkConcatCounters {
  int64_t pages_copied = 0;        // stored bytes copied verbatim
  int64_t pages_recompressed = 0;  // codec changed, values untouched
  int64_t pages_remapped = 0;      // dictionary indices rewritten
  int64_t pages_to_plain = 0;      // dictionary pages gathered to PLAIN
  int64_t pages_unsplit = 0;       // BYTE_STREAM_SPLIT pages rewritten as PLAIN
  int64_t dictionaries_merged = 0;
  // Kept by callers beside the concatenation (jobs/compact): column chunks decoded and written
  // anew instead, and chunks of nulls made for inputs that lack the column.
  int64_t chunks_reencoded = 0;
  int64_t null_chunks = 0;
  void Add(const ChunkConcatCounters& other);
};

// One codec object per compression codec, made on first use.
class CodecCache {
 public:
  Codec& Get(CompressionCodec codec, std::optional<int> level = {});

 private:
  std::map<std::pair<CompressionCodec, std::optional<int>>, std::unique_ptr<Codec>> codecs_;
};

// Appends the concatenated chunk's pages to `out`, whose first byte will sit at `file_offset`;
// returns its ColumnChunk (file_offset and meta_data filled).
ColumnChunk ConcatColumnChunks(const ColumnDescriptor& column, std::span<const ChunkInput> inputs,
                               const ChunkConcatOptions& options, CodecCache& codecs,
                               int64_t file_offset, std::vector<uint8_t>* out,
                               ChunkConcatCounters* counters = nullptr);

// Receives an output chunk's bytes in order, in pieces.
using ChunkBytesSink = std::function<void(std::span<const uint8_t>)>;

// The same, with the chunk's bytes handed to `sink` whenever about `piece_bytes` are made (a piece
// ends after a page, so pieces of large pages are larger) and once more at the end; the output
// holds at most a piece and a page.
ColumnChunk ConcatColumnChunks(const ColumnDescriptor& column, std::span<const ChunkInput> inputs,
                               const ChunkConcatOptions& options, CodecCache& codecs,
                               int64_t file_offset, const ChunkBytesSink& sink, int64_t piece_bytes,
                               ChunkConcatCounters* counters = nullptr);

}  // namespace sluice::parquet
