// ParquetFileReader: reads a Parquet file's flat columns as sluice RecordBatches. Opening costs
// one ranged read of the footer (footer.h); reading picks columns by name and row groups by
// index, and yields batches of at most `batch_rows` rows that never span row groups.
//
// Column names are a top-level field's name or a leaf's dotted path. A projected nested column
// is NotSupported naming it; nested columns that are not projected do not matter. Unknown names
// are NotFound. Encrypted files are NotSupported at open. Malformed data is InvalidData with the
// file, row group, column and page as context.
//
// Ownership: the reader owns its source; batch readers borrow the file reader, which must outlive
// them. Thread safety: a ParquetFileReader may be shared by threads that each make their own
// ParquetBatchReader; a batch reader is used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/io/parquet/column_reader.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/table/record_batch.h"

namespace sluice::parquet {

struct ParquetReadOptions {
  std::vector<std::string> columns;  // empty: every column, in file order
  std::vector<int> row_groups;       // empty: every row group, in file order
  int64_t batch_rows = 64 * 1024;    // rows per batch, at most
  // Of the columns read, those to return as dictionary arrays where their pages are
  // dictionary-encoded (ColumnReadOptions::keep_dictionary).
  std::vector<std::string> dictionary_columns;
  ColumnReadOptions column_options;
  // Row group -> the rows of it to read (row_selection.h); row groups not listed are read whole.
  // Pages that hold none of those rows are skipped (ColumnChunkReader).
  std::map<int, RowRanges> row_selection;
};

class ParquetFileReader;

class ParquetBatchReader {
 public:
  const std::shared_ptr<const Schema>& schema() const { return schema_; }
  // The next batch; nullopt at the end.
  std::optional<RecordBatch> Next();
  // Data pages of the columns read that the row selection let the readers skip, so far.
  int64_t pages_skipped() const;

 private:
  friend class ParquetFileReader;
  ParquetBatchReader(ParquetFileReader& file, std::vector<int> leaves, std::vector<int> row_groups,
                     std::shared_ptr<const Schema> schema, ParquetReadOptions options);

  ParquetFileReader& file_;
  std::vector<int> leaves_;
  std::vector<int> row_groups_;
  std::shared_ptr<const Schema> schema_;
  ParquetReadOptions options_;
  size_t next_row_group_ = 0;
  int64_t rows_left_ = 0;
  std::vector<std::unique_ptr<ColumnChunkReader>> readers_;
  std::vector<int> dictionary_leaves_;
  int64_t pages_skipped_ = 0;  // by readers already dropped
  RowRanges rows_;             // the current row group's selection, normalized
};

class ParquetFileReader {
 public:
  static std::unique_ptr<ParquetFileReader> Open(const std::string& path,
                                                 const FooterOptions& options = {});
  static std::unique_ptr<ParquetFileReader> Open(std::unique_ptr<RandomAccessSource> source,
                                                 const FooterOptions& options = {});
  // A reader over a footer decoded already (or a part of one: a spill run's reader decodes only
  // the row groups it reads), trusted as given.
  static std::unique_ptr<ParquetFileReader> FromFooter(std::unique_ptr<RandomAccessSource> source,
                                                       ParquetFooter footer);

  const ParquetFooter& footer() const { return footer_; }
  RandomAccessSource& source() { return *source_; }
  const std::string& name() const { return source_->name(); }
  int num_row_groups() const { return static_cast<int>(footer_.metadata.row_groups.size()); }
  // The sum of the row groups' rows (some writers leave FileMetaData.num_rows at 0).
  int64_t num_rows() const;

  // The leaf columns `names` select (all when empty), in the order asked.
  std::vector<int> ResolveColumns(const std::vector<std::string>& names) const;
  // The schema of the batches `options` would produce.
  std::shared_ptr<const Schema> ReadSchema(const ParquetReadOptions& options = {}) const;
  std::unique_ptr<ParquetBatchReader> ReadBatches(const ParquetReadOptions& options = {});
  // Every batch `options` selects.
  std::vector<RecordBatch> ReadAll(const ParquetReadOptions& options = {});

 private:
  ParquetFileReader(std::unique_ptr<RandomAccessSource> source, ParquetFooter footer)
      : source_(std::move(source)), footer_(std::move(footer)) {}

  std::unique_ptr<RandomAccessSource> source_;
  ParquetFooter footer_;
};

}  // namespace sluice::parquet
