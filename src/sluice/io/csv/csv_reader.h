// CsvReader: many CSV files with the same header read as one stream of record batches. Open
// expands the paths (globs, directories), reads the first file's header, and infers column
// types from a sample of its first chunk (overridable per column; type_inference.h keeps a
// column text when a value would not read back as the same text, and holds the values past the
// sample to that rule too: an error, never a changed value). The stream is then read in
// parallel by whoever drives it (a flow pipeline: one reader task per file producing chunks,
// any number of parse tasks), or sequentially by ReadAll:
//
//   auto reader = CsvReader::Open(fs, {"data/*.csv"}, options);
//   for (int f = 0; f < reader->num_files(); ++f) {
//     auto chunks = reader->OpenFile(f);          // header stripped and checked
//     CsvChunk chunk;
//     while (chunks->Next(chunk)) for (RecordBatch& b : reader->ParseChunk(chunk)) use(b);
//   }
//
// Every file's header must equal the first file's (InvalidData naming both files otherwise).
// Malformed rows go to the BadRowLog (bad_rows.h): error or skip+count.
//
// Ownership: the reader is shared (shared_ptr) by the tasks that use it; chunks own their bytes.
// Thread safety: after Open, every method may be called from any thread; each FileChunks is
// used by one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/io/csv/bad_rows.h"
#include "sluice/io/csv/csv_chunk_reader.h"
#include "sluice/io/csv/csv_dialect.h"
#include "sluice/io/csv/csv_tokenizer.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/schema.h"

namespace sluice::csv {

// How to read CSV: the one set of options every command that reads CSV passes down (the CLI's
// cli/csv_flags.h fills it from the same flags everywhere).
struct CsvReadOptions {
  CsvDialect dialect;  // delimiter '\0': by the first file's extension (csv_dialect.h)
  size_t chunk_bytes = 4 << 20;
  int64_t batch_rows = 64 * 1024;
  int64_t infer_rows = 1000;
  std::map<std::string, DataType> column_types;  // overrides of inferred types, by column name
  // Without a header: column names (default column1, column2, ...).
  std::vector<std::string> column_names;
  BadRowPolicy bad_rows = BadRowPolicy::kError;
  size_t bad_row_examples = 5;
  // OpenFile's chunks of plain files are read-only views of the mapped file (csv_chunk_reader.h):
  // for callers that read chunks through cdata() (no copy out of the page cache).
  bool map_files = false;
};

class CsvReader {
 public:
  static std::shared_ptr<CsvReader> Open(std::shared_ptr<fs::FileSystem> fs,
                                         const std::vector<std::string>& patterns,
                                         CsvReadOptions options);

  int num_files() const { return static_cast<int>(files_.size()); }
  const std::vector<fs::FileInfo>& files() const { return files_; }
  const std::shared_ptr<const Schema>& schema() const { return schema_; }
  const CsvReadOptions& options() const { return options_; }
  BadRowLog& bad_rows() const { return *bad_rows_; }
  // NotFound naming the known columns.
  int ColumnIndex(const std::string& name) const;

  // A file's row chunks, the header consumed and checked against the first file's.
  class FileChunks {
   public:
    bool Next(CsvChunk& out);
    const CsvChunkReader& raw() const { return reader_; }

   private:
    friend class CsvReader;
    FileChunks(const CsvReader& owner, int file_index);
    const CsvReader& owner_;
    CsvChunkReader reader_;
    bool header_done_;
  };
  std::unique_ptr<FileChunks> OpenFile(int file_index) const;

  // Record batches of at most batch_rows rows from one chunk (modifies the chunk's bytes).
  std::vector<RecordBatch> ParseChunk(CsvChunk& chunk) const;
  // Reads every file in order on the calling thread.
  std::vector<RecordBatch> ReadAll() const;

  // The InvalidData error for a malformed row (problem, or wrong field count), with file, line,
  // column and text as context; nullopt when the row is well-formed.
  std::optional<Error> RowError(const CsvChunk& chunk, const CsvRow& row) const;
  // InvalidData for a value that does not parse as its column's type, or, in a column whose
  // type was inferred, would not read back as the same text (type_inference.h).
  Error ValueError(const CsvChunk& chunk, const CsvRow& row, int column,
                   const DataType& type) const;
  bool IsNull(const CsvField& field) const;

 private:
  CsvReader(std::shared_ptr<fs::FileSystem> fs, std::vector<fs::FileInfo> files,
            CsvReadOptions options);
  void ReadHeaderAndInfer();

  std::shared_ptr<fs::FileSystem> fs_;
  std::vector<fs::FileInfo> files_;
  CsvReadOptions options_;
  std::vector<std::string> header_;  // the first file's header fields (when there is a header)
  std::shared_ptr<const Schema> schema_;
  // Per column: its type was inferred (not given), so its values must also round-trip.
  std::vector<bool> inferred_;
  std::unique_ptr<BadRowLog> bad_rows_;
};

}  // namespace sluice::csv
