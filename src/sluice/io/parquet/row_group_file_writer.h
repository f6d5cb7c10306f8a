// RowGroupFileWriter: writes a Parquet file from row groups that are already encoded (the output
// of column_chunk_concat.h), then the footer. Row groups may arrive in any order and from several
// threads: each is appended where the file ends and takes its slot in the footer, so the footer
// lists row groups in slot order while their bytes lie in arrival order (readers follow the
// footer's offsets).
//
// The file is written under a temporary name beside the target (".<name>.tmp-<pid>-<n>"),
// fsynced and renamed onto the target by Close; a destructor without Close, or a failure,
// removes the temporary file, so a reader never sees a partial file at the target name.
//
// A row group may also be streamed column chunk by column chunk (StartRowGroup, AppendColumnChunk,
// FinishRowGroup), so that only one column chunk of it need be in memory: it then takes the end of
// the file until it is finished, and its chunks lie back to back in the order appended.
//
// A chunk may be given extras after it was written (SetChunkExtras): its page index and its
// Bloom filter (the bytes Parquet stores: BloomFilterHeader, then the bitset). Close writes them
// between the last row group and the footer, Bloom filters first, then every ColumnIndex, then
// every OffsetIndex (as PageIndex.md lays them out), and points the chunks' metadata at them.
// ReadBack reads what was written, so that a caller can index pages it copied
// (copied_page_index.h).
//
// Ownership: owns its descriptor and the row groups' metadata. Thread safety: WriteRowGroup may
// be called concurrently, but not while a row group is being streamed; a streamed row group is
// written by one thread at a time; Close once, after every slot was written.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/staged_parquet_file.h"

namespace sluice::parquet {

// Adds `delta` to every file offset in a column chunk or row group encoded at another position.
void ShiftColumnChunkOffsets(ColumnChunk* chunk, int64_t delta);
void ShiftRowGroupOffsets(RowGroup* row_group, int64_t delta);

class RowGroupFileWriter {
 public:
  // `schema` is the FileMetaData schema list (root group, then leaves). IoError when the file
  // cannot be created.
  static std::unique_ptr<RowGroupFileWriter> Open(std::string path,
                                                  std::vector<SchemaElement> schema,
                                                  int num_row_groups,
                                                  std::vector<KeyValue> key_value_metadata = {});
  ~RowGroupFileWriter();
  RowGroupFileWriter(const RowGroupFileWriter&) = delete;
  RowGroupFileWriter& operator=(const RowGroupFileWriter&) = delete;

  // Appends `bytes`, the pages of `row_group` encoded as if the bytes started at file offset 0,
  // as the footer's row group `slot`. InvalidArgument for a slot out of range or written twice.
  void WriteRowGroup(int slot, std::span<const uint8_t> bytes, RowGroup row_group);

  // Streams row group `slot`: its column chunks follow one by one, each appended where the file
  // ends, until FinishRowGroup. InvalidArgument for a slot out of range or written twice, or while
  // another row group is being streamed (WriteRowGroup fails meanwhile too).
  void StartRowGroup(int slot);
  // Appends bytes of the streamed row group's next column chunk, which begins with the first bytes
  // appended after StartRowGroup or the previous chunk's end; a chunk may come in many pieces.
  void AppendChunkBytes(std::span<const uint8_t> bytes);
  // Ends that column chunk: `chunk` is its metadata, with offsets as if its first byte sat at file
  // offset 0.
  // Returns the chunk's metadata as placed (file offsets final).
  ColumnChunk EndColumnChunk(ColumnChunk chunk);
  // A whole column chunk: AppendChunkBytes(bytes), then EndColumnChunk(chunk).
  void AppendColumnChunk(std::span<const uint8_t> bytes, ColumnChunk chunk);
  // Records the streamed row group in its slot: `num_rows` rows, the chunks as appended, its sizes
  // summed from theirs.
  void FinishRowGroup(int64_t num_rows);
  // Bytes already appended, read back from the file (IoError past its end).
  void ReadBack(int64_t offset, std::span<uint8_t> out) const;
  // The page index and Bloom filter (either may be empty) of column chunk `column` of row group
  // `slot`, written by Close. InvalidArgument after Close or for a slot out of range.
  struct ChunkExtras {
    ColumnPageIndex page_index;
    std::vector<uint8_t> bloom_filter;
  };
  void SetChunkExtras(int slot, int column, ChunkExtras extras);
  // Writes the footer, fsyncs and renames onto the target; returns the file's size.
  // InvalidArgument when a slot is missing.
  int64_t Close();

  const std::string& path() const { return path_; }

 private:
  RowGroupFileWriter(std::string path, std::unique_ptr<StagedParquetFile> file,
                     std::vector<SchemaElement> schema, int num_row_groups,
                     std::vector<KeyValue> key_value_metadata);
  // InvalidArgument unless `slot` may be written now.
  void CheckSlotLocked(int slot) const;
  // Writes the extras at end_ and points the row groups' chunks at them.
  void WriteExtrasLocked();

  const std::string path_;
  const std::unique_ptr<StagedParquetFile> file_;
  const std::vector<SchemaElement> schema_;
  const std::vector<KeyValue> key_value_metadata_;
  std::mutex mu_;
  // guarded by mu_:
  int64_t end_ = StagedParquetFile::kHeaderBytes;
  std::vector<RowGroup> row_groups_;
  std::vector<bool> written_;
  bool closed_ = false;
  int streaming_ = -1;  // the slot being streamed, -1 for none
  RowGroup streamed_;   // its chunks so far (file offsets final)
  int64_t stream_start_ = 0;
  int64_t chunk_start_ = 0;                            // where its current column chunk began
  std::map<std::pair<int, int>, ChunkExtras> extras_;  // by (slot, column)
};

}  // namespace sluice::parquet
