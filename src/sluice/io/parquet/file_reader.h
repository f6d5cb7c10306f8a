// ParquetFileReader: reads a Parquet file's flat columns as sluice RecordBatches. Opening costs
// one ranged read of the footer (footer.h); reading picks columns by name and row groups by
// index, and yields batches of at most `batch_rows` rows that never span row groups.
//
// Column names are a top-level field's name or a flat leaf's dotted path. A nested top-level
// field (a group or a repeated field) reads as one column of list, map and struct types
// (nested_schema.h); naming a leaf inside one is NotSupported (name the field). Unknown names
// are NotFound. With no names, every top-level field is read, in file order. Encrypted files are
// NotSupported at open. Malformed data is InvalidData with the file, row group, column and page as
// context.
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
#include "sluice/io/parquet/nested_column_reader.h"
#include "sluice/io/parquet/nested_schema.h"
#include "sluice/table/record_batch.h"

namespace sluice::parquet {

// One column of the batches: a flat leaf, or a nested top-level field.
struct ReadColumn {
  int leaf = -1;
  std::shared_ptr<const NestedNode> nested;
};

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
  ParquetBatchReader(ParquetFileReader& file, std::vector<ReadColumn> columns,
                     std::vector<int> row_groups, std::shared_ptr<const Schema> schema,
                     ParquetReadOptions options);
  void OpenReaders(int row_group, const RowRanges* selection);
  // The next `rows` selected rows of nested column `c`.
  Array ReadNested(size_t c, int64_t rows);

  ParquetFileReader& file_;
  std::vector<ReadColumn> columns_;
  std::vector<int> row_groups_;
  std::shared_ptr<const Schema> schema_;
  ParquetReadOptions options_;
  size_t next_row_group_ = 0;
  int64_t rows_left_ = 0;
  // By column: the flat reader or the nested one.
  std::vector<std::unique_ptr<ColumnChunkReader>> readers_;
  std::vector<std::unique_ptr<NestedColumnReader>> nested_readers_;
  bool open_ = false;
  int64_t row_group_rows_ = 0;
  int64_t nested_row_ = 0;  // the row group's next row the nested readers would read
  bool selecting_ = false;
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
  // The batches' columns for `names` (every top-level field when empty), in the order asked.
  std::vector<ReadColumn> ResolveReadColumns(const std::vector<std::string>& names,
                                             sluice::TimeUnit int96_unit) const;
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
