// Tables stored as files, as the relational commands (groupby, distinct, join, sort) read and
// write them: inputs are paths, globs or directories of Parquet or CSV files; the
// output's format follows its extension (.parquet or .csv) and is written batch by batch under
// a temporary name that is renamed onto the target only by Close, so a failed command leaves no
// partial output. A CSV output writes nested columns as JSON text (json_text.h).
//
// Thread safety: a TableFileWriter is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

// Every file the patterns name (each glob's matches sorted), all Parquet or all CSV (.csv,
// .csv.gz, .csv.zst, .tsv). csv: how CSV files are read (dialect, column types; a '\0'
// delimiter picks "," or tab for .tsv). columns: the ones the command reads (empty: all);
// Parquet decodes only those, CSV files are parsed whole. where: a row filter pushed into the
// scan (table_scan.h), "" for none. NotFound naming a pattern without matches or a missing
// column; NotSupported naming a file of another kind; InvalidArgument for a filter that does not
// parse or bind.
std::shared_ptr<TableScan> OpenTableInputs(const std::vector<std::string>& patterns,
                                           const csv::CsvReadOptions& csv,
                                           const std::vector<std::string>& columns = {},
                                           const std::string& where = "");

// Whether a path names a CSV file by its extension (.csv, .csv.gz, .csv.zst, .tsv).
bool IsCsvPath(const std::string& path);

// InvalidArgument naming the output unless it ends in .parquet or .csv (checked before any work).
void CheckTableOutput(const std::string& path);

// The part of a command's memory budget its output writer holds: the Parquet row group it buffers
// before encoding, an eighth of the budget within [1 MiB, 128 MiB] (at 64 MiB, about DuckDB's
// 122,880-row row groups of a narrow table), and at most half of a tiny budget.
int64_t OutputWriterBytes(int64_t memory_budget);
// Takes the writer's share (OutputWriterBytes) out of `memory_budget`, the operator's to run in,
// and returns write options that buffer at most that share, so the two stay inside the budget.
parquet::ParquetWriteOptions TakeWriterShare(int64_t& memory_budget);

class TableFileWriter {
 public:
  // CheckTableOutput's error for a bad extension; IoError when the temporary file cannot be
  // created.
  // parquet_options apply to Parquet output (page index, codec, ...).
  static std::unique_ptr<TableFileWriter> Open(
      std::string path, std::shared_ptr<const Schema> schema,
      const parquet::ParquetWriteOptions& parquet_options = {});
  ~TableFileWriter();
  TableFileWriter(const TableFileWriter&) = delete;
  TableFileWriter& operator=(const TableFileWriter&) = delete;

  void Write(const RecordBatch& batch);
  // Finishes the file and renames it onto the target.
  void Close();

 private:
  explicit TableFileWriter(std::string path) : path_(std::move(path)) {}
  void FlushCsv();

  std::string path_;
  std::unique_ptr<parquet::ParquetWriter> parquet_;
  std::string temp_;  // CSV: the file being written
  std::FILE* csv_ = nullptr;
  std::string pending_;
};

}  // namespace sluice
