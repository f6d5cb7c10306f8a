// CsvChunkReader: reads one CSV file front to back and cuts it into chunks of about
// `chunk_bytes` that each start at a row start and end at a row end (RowBoundaryScanner), ready
// for CsvTokenizer on any thread. Plain files are read with ranged reads; gzip and zstd files are
// decompressed whole by the one reader. A row longer than a chunk makes that chunk bigger. A
// UTF-8 byte order mark at the start of the file is dropped. A local file is read as it was when
// opened (io/fs/stamped_file.h): one truncated, grown, rewritten or replaced meanwhile fails with
// InvalidData naming it ("changed while it was read: was N bytes, now M"), at the latest at its
// end.
//
// With `map` (and a file system that can map), a plain file's chunks are read-only views of the
// mapped file instead: no copy out of the page cache and no chunk buffers. A caller that reads
// through cdata() never copies; data() (writable) copies the view into a buffer first.
//
// Ownership: each CsvChunk owns its bytes or its view (the tokenizer unescapes in place).
// Thread safety: a reader is used by one thread at a time; chunks move freely between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sluice/io/csv/byte_stream.h"
#include "sluice/io/csv/chunk_buffer.h"
#include "sluice/io/csv/csv_dialect.h"
#include "sluice/io/csv/row_boundary_scanner.h"
#include "sluice/io/fs/file_stamp.h"
#include "sluice/io/fs/file_system.h"

namespace sluice::csv {

struct CsvChunk {
  int file_index = 0;
  std::shared_ptr<const std::string> path;
  int64_t first_line = 1;  // physical line (1-based) of data()[0]
  int64_t index = 0;       // position of the chunk in its file
  ChunkBuffer bytes;
  std::unique_ptr<fs::FileView> view;  // instead of `bytes`: read-only mapped file bytes
  size_t begin = 0;                    // rows start here (past a header consumed by the reader)
  size_t end = 0;
  bool last = false;  // the file's final chunk (its last row may lack a newline)
  // A mapped chunk's file as it was opened: a truncation shows the rest of its last page as
  // zeros, so an error about its rows first checks the file (a stat, on the error path only).
  std::shared_ptr<const fs::FileStamp> opened;

  // Writable bytes (a mapped chunk is copied into `bytes` first).
  char* data() {
    if (view != nullptr) [[unlikely]]
      CopyViewToBytes();
    return bytes.get() + begin;
  }
  const char* cdata() const { return (view != nullptr ? view->data() : bytes.get()) + begin; }
  size_t size() const { return end - begin; }
  // InvalidData "input P changed while it was read..." when a mapped chunk's file changed.
  void RequireSourceUnchanged() const {
    if (opened != nullptr) fs::RequireUnchanged(*path, *opened);
  }

 private:
  void CopyViewToBytes();
};
inline int64_t ByteSize(const CsvChunk& chunk) {
  return static_cast<int64_t>(chunk.bytes.capacity() +
                              (chunk.view != nullptr ? chunk.view->size() : 0) + sizeof(CsvChunk));
}
std::string Describe(const CsvChunk& chunk);

class CsvChunkReader {
 public:
  CsvChunkReader(fs::FileSystem& fs, const std::string& path, int file_index,
                 const CsvDialect& dialect, size_t chunk_bytes, bool map = false);

  // The next chunk; false after the last. Throws InvalidData for corrupt compressed data.
  bool Next(CsvChunk& out);
  Compression compression() const { return compression_; }
  // Rows (row-ending newlines, incl. blank and comment lines) seen so far.
  int64_t row_ends() const { return row_ends_; }
  int64_t bytes_read() const { return bytes_read_; }

 private:
  bool NextMapped(CsvChunk& out);

  std::shared_ptr<const std::string> path_;
  int file_index_;
  size_t chunk_bytes_;
  Compression compression_;
  std::unique_ptr<ByteStream> stream_;
  RowBoundaryScanner scanner_;
  ChunkBuffer carry_;
  size_t carry_size_ = 0;
  int64_t carry_newlines_ = 0;  // newlines inside the carried bytes (quoted ones)
  int64_t line_ = 1;            // physical line of the carry's first byte
  int64_t index_ = 0;
  int64_t row_ends_ = 0;
  int64_t bytes_read_ = 0;
  bool started_ = false;
  bool done_ = false;
  // Mapped reading: the file, its stamp, the next chunk's offset and the end of the bytes
  // scanned so far.
  std::unique_ptr<fs::ReadableFile> mapped_file_;
  std::shared_ptr<const fs::FileStamp> mapped_stamp_;
  int64_t map_pos_ = 0;
  int64_t map_scanned_ = 0;
};

}  // namespace sluice::csv
