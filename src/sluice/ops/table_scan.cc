#include "sluice/ops/table_scan.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/fs/stamped_file.h"
#include "sluice/io/parquet/file_system_source.h"
#include "sluice/ops/parquet_statistics.h"
#include "sluice/ops/predicate_parser.h"

namespace sluice {

namespace {

// The columns to decode: those asked for, then the filter's that are missing (none when all are
// asked for). A filter column the file lacks is the filter's error, named with its position.
std::vector<std::string> DecodedColumns(const std::vector<std::string>& asked,
                                        const std::string& where,
                                        const parquet::ParquetFileReader& file) {
  if (where.empty() || asked.empty()) return asked;
  std::vector<std::string> decoded = asked;
  const parquet::ParquetSchema& schema = file.footer().schema;
  for (const PredicateColumn& c : ColumnsOf(ParsePredicate(where))) {
    if (std::find(decoded.begin(), decoded.end(), c.name) != decoded.end()) continue;
    const auto& top = schema.top_level_names();
    if (schema.FindColumn(c.name) < 0 && std::find(top.begin(), top.end(), c.name) == top.end()) {
      throw InvalidArgument("unknown column '{}' at position {}", c.name, c.position)
          .With("where", where)
          .With("columns", fmt::format("{}", fmt::join(top, ", ")));
    }
    decoded.push_back(c.name);
  }
  return decoded;
}

// A Parquet input held to the version it had when the scan was planned (io/fs/stamped_file.h):
// every read of a row group's bytes checks it, so a file truncated, rewritten, replaced or removed
// mid-run fails naming it instead of mixing versions. Objects are read pinned to their ETag.
std::unique_ptr<parquet::ParquetFileReader> OpenParquetInput(const std::string& path) {
  if (fs::IsS3Url(path)) return parquet::ParquetFileReader::Open(path);
  return parquet::ParquetFileReader::Open(
      std::make_unique<parquet::FileSystemSource>(fs::OpenInput(*fs::LocalFileSystem(), path)));
}

}  // namespace

void TableScan::BindWhere(const std::string& where, const Schema& read_schema) {
  where_ = where;
  if (where.empty()) return;
  try {
    predicate_ = Predicate::Bind(ParsePredicate(where), read_schema);
  } catch (Error& e) {
    e.With("where", where);
    throw;
  }
}

std::shared_ptr<TableScan> TableScan::Open(const std::vector<std::string>& paths,
                                           std::vector<std::string> columns,
                                           const std::string& where) {
  return OpenParquet(paths, std::move(columns), where, nullptr);
}

std::shared_ptr<TableScan> TableScan::OpenRowGroups(
    const std::vector<std::string>& paths, const std::vector<std::vector<int>>& row_groups) {
  SLUICE_CHECK_EQ(paths.size(), row_groups.size());
  return OpenParquet(paths, {}, "", &row_groups);
}

std::shared_ptr<TableScan> TableScan::OpenParquet(const std::vector<std::string>& paths,
                                                  std::vector<std::string> columns,
                                                  const std::string& where,
                                                  const std::vector<std::vector<int>>* only) {
  if (paths.empty()) throw InvalidArgument("no input files");
  std::shared_ptr<TableScan> scan(new TableScan());
  parquet::ParquetReadOptions asked;
  asked.columns = std::move(columns);
  for (size_t f = 0; f < paths.size(); ++f) {
    auto reader = OpenParquetInput(paths[f]);
    if (f == 0) scan->columns_ = DecodedColumns(asked.columns, where, *reader);
    parquet::ParquetReadOptions decoded;
    decoded.columns = scan->columns_;
    std::shared_ptr<const Schema> schema = reader->ReadSchema(decoded);
    if (scan->schema_ == nullptr) {
      scan->schema_ = reader->ReadSchema(asked);
      scan->BindWhere(where, *schema);
      scan->first_schema_ = schema;
    } else if (!(*schema == *scan->first_schema_)) {
      throw InvalidData("input files have different schemas")
          .With("file", paths[f])
          .With("first_file", paths[0])
          .With("schema", schema->ToString())
          .With("first_schema", scan->first_schema_->ToString());
    }
    scan->predicate_leaves_ = reader->ResolveColumns(scan->columns_);
    for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
      if (only != nullptr && !std::binary_search((*only)[f].begin(), (*only)[f].end(), rg)) {
        continue;
      }
      const auto& group = reader->footer().metadata.row_groups[static_cast<size_t>(rg)];
      ++scan->pruned_.row_groups;
      // Min and max first: Bloom filters cost a read each.
      const bool by_statistics = !scan->RowGroupMayMatch(*reader, rg, false);
      const bool by_bloom = !by_statistics && !scan->RowGroupMayMatch(*reader, rg, true);
      parquet::RowRanges rows;
      if (!by_statistics && !by_bloom) rows = scan->RowGroupPageRows(*reader, rg);
      const bool by_pages = !by_statistics && !by_bloom && rows.empty();
      if (by_statistics || by_bloom || by_pages) {
        ++scan->pruned_.row_groups_skipped;
        scan->pruned_.row_groups_skipped_by_bloom += by_bloom ? 1 : 0;
        scan->pruned_.row_groups_skipped_by_pages += by_pages ? 1 : 0;
        scan->pruned_.rows_skipped += group.num_rows;
        continue;
      }
      scan->AddParquetUnit(static_cast<int>(f), rg, group, std::move(rows));
    }
    scan->files_.push_back(std::move(reader));
  }
  return scan;
}

void TableScan::AddParquetUnit(int file, int row_group, const parquet::RowGroup& group,
                               parquet::RowRanges rows) {
  ScanUnit unit{static_cast<int>(units_.size()), file, row_group, group.num_rows};
  int64_t bytes = group.total_byte_size;
  if (const int64_t kept = parquet::CountRows(rows); kept < group.num_rows) {
    pruned_.page_rows_skipped += group.num_rows - kept;
    // Work is sized by what is read: the selected rows, and their share of the bytes.
    bytes = static_cast<int64_t>(static_cast<double>(bytes) * static_cast<double>(kept) /
                                 static_cast<double>(group.num_rows));
    unit.rows = kept;
    unit_rows_.resize(units_.size() + 1);
    unit_rows_.back() = std::move(rows);
  }
  num_rows_ += unit.rows;
  data_bytes_ += bytes;
  units_.push_back(unit);
}

bool TableScan::RowGroupMayMatch(parquet::ParquetFileReader& file, int row_group,
                                 bool bloom) const {
  if (predicate_ == nullptr) return true;
  return predicate_->MayMatch([&](int column) {
    return ParquetColumnStatistics(
        file.footer(), row_group, predicate_leaves_[static_cast<size_t>(column)],
        first_schema_->field(column).type, bloom ? &file.source() : nullptr);
  });
}

parquet::RowRanges TableScan::RowGroupPageRows(parquet::ParquetFileReader& file,
                                               int row_group) const {
  const parquet::RowGroup& group =
      file.footer().metadata.row_groups[static_cast<size_t>(row_group)];
  if (predicate_ == nullptr) return {{0, group.num_rows}};
  std::map<int, std::optional<ColumnPageStatistics>> read;  // by column: leaves may share one
  parquet::RowRanges rows = predicate_->RowsMayMatch(
      [&](int column) {
        auto [at, added] = read.try_emplace(column);
        if (added) {
          at->second = ParquetColumnPageStatistics(file.source(), file.footer(), row_group,
                                                   predicate_leaves_[static_cast<size_t>(column)],
                                                   first_schema_->field(column).type);
        }
        return at->second;
      },
      group.num_rows);
  return parquet::NormalizeRowRanges(std::move(rows), group.num_rows);
}

std::optional<RecordBatch> TableScan::FilterBatch(const RecordBatch& batch) const {
  if (predicate_ == nullptr) return batch;
  RecordBatch passed = predicate_->Filter(batch);
  rows_read_.fetch_add(batch.num_rows(), std::memory_order_relaxed);
  rows_passed_.fetch_add(passed.num_rows(), std::memory_order_relaxed);
  if (passed.num_rows() == 0) return std::nullopt;
  if (passed.num_columns() == schema_->num_fields()) return passed;
  // Drop the columns only the filter read (they follow the asked-for ones).
  std::vector<Array> kept(passed.columns().begin(),
                          passed.columns().begin() + schema_->num_fields());
  return RecordBatch::Make(schema_, std::move(kept), passed.num_rows());
}

void TableScan::KeepDictionaries(std::vector<std::string> columns) {
  // The filter reads values: its columns arrive decoded.
  if (!where_.empty()) {
    for (const PredicateColumn& c : ColumnsOf(ParsePredicate(where_))) {
      columns.erase(std::remove(columns.begin(), columns.end(), c.name), columns.end());
    }
  }
  dictionary_columns_ = std::move(columns);
}

ScanFilterStats TableScan::filter_stats() const {
  ScanFilterStats stats = pruned_;
  stats.pages_skipped = pages_skipped_.load(std::memory_order_relaxed);
  stats.rows_read = rows_read_.load(std::memory_order_relaxed);
  stats.rows_passed = rows_passed_.load(std::memory_order_relaxed);
  return stats;
}

std::shared_ptr<TableScan> TableScan::FromBatches(std::shared_ptr<const Schema> schema,
                                                  std::vector<RecordBatch> batches) {
  std::shared_ptr<TableScan> scan(new TableScan());
  scan->schema_ = std::move(schema);
  for (RecordBatch& b : batches) {
    if (!(b.schema() == *scan->schema_)) {
      throw InvalidArgument("batch {} has another schema than the table", scan->units_.size())
          .With("schema", b.schema().ToString());
    }
    scan->units_.push_back(ScanUnit{static_cast<int>(scan->units_.size()), 0, 0, b.num_rows()});
    scan->num_rows_ += b.num_rows();
    scan->data_bytes_ += ByteSize(b);
    scan->batches_.push_back(std::move(b));
  }
  return scan;
}

std::shared_ptr<TableScan> TableScan::FromReader(std::shared_ptr<const Schema> schema,
                                                 const std::vector<int64_t>& unit_rows,
                                                 const std::vector<int64_t>& unit_bytes,
                                                 UnitReader read) {
  SLUICE_CHECK_EQ(unit_rows.size(), unit_bytes.size());
  std::shared_ptr<TableScan> scan(new TableScan());
  scan->schema_ = std::move(schema);
  scan->reader_ = std::move(read);
  for (size_t u = 0; u < unit_rows.size(); ++u) {
    scan->units_.push_back(ScanUnit{static_cast<int>(u), 0, 0, unit_rows[u]});
    scan->num_rows_ += unit_rows[u];
    scan->data_bytes_ += unit_bytes[u];
  }
  return scan;
}

std::shared_ptr<TableScan> TableScan::OpenCsv(const std::vector<std::string>& patterns,
                                              csv::CsvReadOptions options,
                                              const std::string& where) {
  std::shared_ptr<TableScan> scan(new TableScan());
  scan->csv_ = csv::CsvReader::Open(fs::FileSystemFor(patterns.empty() ? "" : patterns.front()),
                                    patterns, std::move(options));
  scan->schema_ = scan->csv_->schema();
  scan->first_schema_ = scan->schema_;
  scan->BindWhere(where, *scan->schema_);
  for (int f = 0; f < scan->csv_->num_files(); ++f) {
    // Rows are unknown until parsed; the file size stands in for the data's size.
    scan->units_.push_back(ScanUnit{f, f, 0, 0});
    scan->data_bytes_ += scan->csv_->files()[static_cast<size_t>(f)].size;
  }
  return scan;
}

int64_t ByteSize(const ScanPiece& piece) {
  return (piece.batch ? ByteSize(*piece.batch) : 0) + (piece.chunk ? ByteSize(*piece.chunk) : 0);
}

// Positions: the unit in the high bits, then the CSV chunk, then the row, so stream order holds
// across units, chunks and batches.
void TableScan::ReadPieces(const ScanUnit& unit, const std::function<void(ScanPiece)>& emit) const {
  int64_t position = static_cast<int64_t>(unit.index) << kUnitShift;
  if (csv_ == nullptr) {
    for (RecordBatch& b : Read(unit)) {
      const int64_t rows = b.num_rows();
      emit(ScanPiece{std::move(b), std::nullopt, position});
      position += rows;
    }
    return;
  }
  auto chunks = csv_->OpenFile(unit.file);
  while (true) {
    ScanPiece piece;
    piece.chunk.emplace();
    if (!chunks->Next(*piece.chunk)) break;
    piece.position = position + (piece.chunk->index << 24);
    emit(std::move(piece));
  }
}

void TableScan::Parse(ScanPiece& piece,
                      const std::function<void(RecordBatch, int64_t)>& emit) const {
  if (piece.batch) {
    emit(std::move(*piece.batch), piece.position);
    return;
  }
  int64_t position = piece.position;
  for (RecordBatch& b : csv_->ParseChunk(*piece.chunk)) {
    std::optional<RecordBatch> passed = FilterBatch(b);
    if (!passed) continue;
    const int64_t rows = passed->num_rows();
    emit(std::move(*passed), position);
    position += rows;
  }
}

std::vector<RecordBatch> TableScan::Read(const ScanUnit& unit) const {
  if (csv_ != nullptr) {
    std::vector<RecordBatch> out;
    ReadPieces(unit, [&](ScanPiece piece) {
      Parse(piece, [&out](RecordBatch b, int64_t) { out.push_back(std::move(b)); });
    });
    return out;
  }
  if (reader_) return reader_(unit.index);
  if (files_.empty()) return {batches_[static_cast<size_t>(unit.index)]};
  parquet::ParquetReadOptions options;
  options.columns = columns_;
  options.dictionary_columns = dictionary_columns_;
  options.row_groups = {unit.row_group};
  if (static_cast<size_t>(unit.index) < unit_rows_.size() &&
      !unit_rows_[static_cast<size_t>(unit.index)].empty()) {
    options.row_selection[unit.row_group] = unit_rows_[static_cast<size_t>(unit.index)];
  }
  auto reader = files_[static_cast<size_t>(unit.file)]->ReadBatches(options);
  std::vector<RecordBatch> passed;
  while (std::optional<RecordBatch> b = reader->Next()) {
    if (predicate_ == nullptr) {
      passed.push_back(std::move(*b));
    } else if (std::optional<RecordBatch> p = FilterBatch(*b)) {
      passed.push_back(std::move(*p));
    }
  }
  if (reader->pages_skipped() > 0) {
    pages_skipped_.fetch_add(reader->pages_skipped(), std::memory_order_relaxed);
  }
  return passed;
}

}  // namespace sluice
