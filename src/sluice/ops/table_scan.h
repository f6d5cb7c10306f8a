// TableScan: a table stored as Parquet or CSV files, read as units of work that threads read
// independently: one row group of a Parquet file, or one whole CSV file. Reading a unit yields
// pieces: decoded batches for Parquet, raw row-aligned chunks for CSV, which Parse turns into
// batches on any thread, so one big CSV file is read by one task and parsed by many. Opening reads
// every footer (one ranged read each) and checks that the files agree on the projected schema,
// naming both files when they do not, so a job fails before it starts rather than halfway.
//
// An in-memory table (FromBatches) has one unit per batch.
//
// A row filter (`where`, predicate_parser.h syntax) is pushed into the scan: at Open, Parquet row
// groups whose footer statistics (or, for equality and IN, Bloom filters, or the page index's
// per-page statistics) prove that no row passes are left out of units(); inside a row group that
// is read, the rows the page index rules out are not decoded (only the pages of each column that
// hold other rows are read, ColumnChunkReader's row selection); every batch a unit yields (Parquet
// batches, and CSV batches as each chunk is parsed) holds only passing rows, so every consumer sees
// the filtered table. Columns the filter reads but the caller did not ask for are decoded, used and
// dropped. Positions count passing rows, so re-reading a unit gives every row the same position
// again.
//
// A unit's position (file, row group) orders the input: rows of unit u come before those of
// unit u + 1, which is the stream order that first() and last() follow.
//
// Thread safety: after Open, Read may be called from any number of threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/io/csv/csv_reader.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/ops/predicate.h"
#include "sluice/table/record_batch.h"

namespace sluice {

struct ScanUnit {
  int index = 0;  // position in units(), which is stream order
  int file = 0;
  int row_group = 0;
  int64_t rows = 0;  // rows read (Parquet: those of the row group the page index leaves)
};

inline int64_t ByteSize(const ScanUnit&) { return sizeof(ScanUnit); }

// What reading a unit yields: a batch, or a CSV chunk still to parse. position is the stream
// position of its first row.
struct ScanPiece {
  std::optional<RecordBatch> batch;
  std::optional<csv::CsvChunk> chunk;
  int64_t position = 0;
};
int64_t ByteSize(const ScanPiece& piece);

// What the row filter did, for summaries and reports.
struct ScanFilterStats {
  int64_t row_groups = 0;                   // Parquet row groups in the files
  int64_t row_groups_skipped = 0;           // proven empty by their statistics or Bloom filters
  int64_t row_groups_skipped_by_bloom = 0;  // of those, the ones only a Bloom filter ruled out
  int64_t row_groups_skipped_by_pages = 0;  // and the ones only the page index ruled out
  int64_t rows_skipped = 0;                 // in the row groups skipped
  // Inside the row groups read: rows the page index ruled out, and the data pages of the columns
  // decoded that were therefore not decoded (counted as units are read).
  int64_t page_rows_skipped = 0;
  int64_t pages_skipped = 0;
  int64_t rows_read = 0;    // rows the filter evaluated so far
  int64_t rows_passed = 0;  // of those, rows that passed
};

class TableScan {
 public:
  // paths: Parquet files (read in this order). columns: empty for all. where: a row filter, or
  // "" for none. NotFound for a missing file or column, InvalidData for a schema that differs
  // from the first file's, InvalidArgument for a filter that does not parse or bind (context
  // "where": its text).
  static std::shared_ptr<TableScan> Open(const std::vector<std::string>& paths,
                                         std::vector<std::string> columns = {},
                                         const std::string& where = "");
  // Only the listed row groups of Parquet files (row_groups[f] for paths[f], ascending): a
  // shuffle's reduce task reads its slice of every map output. Errors as Open's.
  static std::shared_ptr<TableScan> OpenRowGroups(const std::vector<std::string>& paths,
                                                  const std::vector<std::vector<int>>& row_groups);
  // CSV files (paths, globs or directories) with one header, as io/csv reads them.
  static std::shared_ptr<TableScan> OpenCsv(const std::vector<std::string>& patterns,
                                            csv::CsvReadOptions options = {},
                                            const std::string& where = "");
  // A table already in memory: each batch is one unit (InvalidArgument for a batch of another
  // schema).
  static std::shared_ptr<TableScan> FromBatches(std::shared_ptr<const Schema> schema,
                                                std::vector<RecordBatch> batches);
  // A table whose units the caller reads, for inputs Open cannot take (files unified by name on
  // any file system): unit i holds unit_rows[i] rows, about unit_bytes[i] bytes of column data,
  // and read(i) returns its batches, each of `schema`. `read` is called from many threads at once.
  using UnitReader = std::function<std::vector<RecordBatch>(int unit)>;
  static std::shared_ptr<TableScan> FromReader(std::shared_ptr<const Schema> schema,
                                               const std::vector<int64_t>& unit_rows,
                                               const std::vector<int64_t>& unit_bytes,
                                               UnitReader read);

  const std::shared_ptr<const Schema>& schema() const { return schema_; }
  const std::vector<ScanUnit>& units() const { return units_; }
  // The units' rows (what is read: a row filter's skipped row groups and pages are not counted).
  int64_t num_rows() const { return num_rows_; }
  // Uncompressed bytes of the units' column data (the footers' figure, in proportion to the rows
  // read where the page index left some out), for sizing work.
  int64_t data_bytes() const { return data_bytes_; }

  // The row filter's text ("" for none) and what it has done so far.
  const std::string& where() const { return where_; }

  // Parquet columns whose dictionary-encoded pages arrive as dictionary arrays
  // (table/dictionary.h), for a consumer that works on the indices (group-by keys). Call before
  // reading; columns the filter reads stay decoded.
  void KeepDictionaries(std::vector<std::string> columns);

  ScanFilterStats filter_stats() const;

  // Reads one unit, handing over its pieces in stream order as soon as each is read.
  void ReadPieces(const ScanUnit& unit, const std::function<void(ScanPiece)>& emit) const;
  // The unit a stream position (of a piece or a row) belongs to.
  static int UnitOf(int64_t position) { return static_cast<int>(position >> kUnitShift); }

  // The batches of a piece, each with its stream position.
  void Parse(ScanPiece& piece,
             const std::function<void(RecordBatch batch, int64_t position)>& emit) const;
  // Every batch of a unit, read and parsed on the calling thread.
  std::vector<RecordBatch> Read(const ScanUnit& unit) const;

 private:
  // Positions: the unit in the bits from here up, then the CSV chunk, then the row.
  static constexpr int kUnitShift = 44;

  TableScan() = default;
  // Open, reading of file f only the row groups in (*only)[f] when `only` is given.
  static std::shared_ptr<TableScan> OpenParquet(const std::vector<std::string>& paths,
                                                std::vector<std::string> columns,
                                                const std::string& where,
                                                const std::vector<std::vector<int>>* only);
  // Binds the filter to the schema batches are read in; InvalidArgument with context.
  void BindWhere(const std::string& where, const Schema& read_schema);
  // A unit for a row group that is read; `rows`: those to read (all when it holds them all).
  void AddParquetUnit(int file, int row_group, const parquet::RowGroup& group,
                      parquet::RowRanges rows);
  // With `bloom`, equality and IN also ask the chunks' Bloom filters (a ranged read each).
  bool RowGroupMayMatch(parquet::ParquetFileReader& file, int row_group, bool bloom) const;
  // The rows that may pass by the page indexes of the filter's columns (a ranged read or two
  // each, when they have one), normalized: empty when none may.
  parquet::RowRanges RowGroupPageRows(parquet::ParquetFileReader& file, int row_group) const;
  // The batch's passing rows in the output schema; nullopt when none pass.
  std::optional<RecordBatch> FilterBatch(const RecordBatch& batch) const;

  std::vector<std::unique_ptr<parquet::ParquetFileReader>> files_;
  std::vector<RecordBatch> batches_;     // FromBatches: unit i is batches_[i]
  UnitReader reader_;                    // FromReader: reads unit i
  std::shared_ptr<csv::CsvReader> csv_;  // OpenCsv: unit i is file i
  std::vector<std::string> dictionary_columns_;
  std::vector<std::string> columns_;            // the columns decoded: asked for, then the filter's
  std::shared_ptr<const Schema> schema_;        // the columns asked for
  std::shared_ptr<const Schema> first_schema_;  // the decoded columns, as the first file has them
  std::string where_;
  std::shared_ptr<const Predicate> predicate_;  // bound to the decoded columns
  std::vector<int> predicate_leaves_;           // Parquet: decoded column -> leaf index
  ScanFilterStats pruned_;                      // row group counts, set by Open
  // Parquet, by unit index: the rows to read, when the page index ruled some out; empty: all.
  std::vector<parquet::RowRanges> unit_rows_;
  mutable std::atomic<int64_t> pages_skipped_{0};
  mutable std::atomic<int64_t> rows_read_{0};
  mutable std::atomic<int64_t> rows_passed_{0};
  std::vector<ScanUnit> units_;
  int64_t num_rows_ = 0;
  int64_t data_bytes_ = 0;
};

}  // namespace sluice
