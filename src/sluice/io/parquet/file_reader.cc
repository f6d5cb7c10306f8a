#include "sluice/io/parquet/file_reader.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_system_source.h"

namespace sluice::parquet {

std::unique_ptr<ParquetFileReader> ParquetFileReader::Open(const std::string& path,
                                                           const FooterOptions& options) {
  return Open(OpenRandomAccessSource(path), options);
}

std::unique_ptr<ParquetFileReader> ParquetFileReader::Open(
    std::unique_ptr<RandomAccessSource> source, const FooterOptions& options) {
  ParquetFooter footer = ReadFooter(*source, options);
  return std::unique_ptr<ParquetFileReader>(
      new ParquetFileReader(std::move(source), std::move(footer)));
}

std::unique_ptr<ParquetFileReader> ParquetFileReader::FromFooter(
    std::unique_ptr<RandomAccessSource> source, ParquetFooter footer) {
  return std::unique_ptr<ParquetFileReader>(
      new ParquetFileReader(std::move(source), std::move(footer)));
}

int64_t ParquetFileReader::num_rows() const {
  int64_t rows = 0;
  for (const RowGroup& row_group : footer_.metadata.row_groups) rows += row_group.num_rows;
  return rows;
}

std::vector<int> ParquetFileReader::ResolveColumns(const std::vector<std::string>& names) const {
  const std::vector<ColumnDescriptor>& columns = footer_.schema.columns();
  std::vector<int> leaves;
  if (names.empty()) {
    for (const ColumnDescriptor& column : columns) leaves.push_back(column.leaf_index);
    return leaves;
  }
  for (const std::string& name : names) {
    int leaf = footer_.schema.FindColumn(name);
    if (leaf >= 0) {
      leaves.push_back(leaf);
      continue;
    }
    // A top-level group: its leaves (which are nested, and refused when resolved).
    bool found = false;
    for (const ColumnDescriptor& column : columns) {
      if (column.path.front() == name) {
        leaves.push_back(column.leaf_index);
        found = true;
      }
    }
    if (!found) throw NotFound("no column named {}", name).With("file", source_->name());
  }
  return leaves;
}

std::shared_ptr<const Schema> ParquetFileReader::ReadSchema(
    const ParquetReadOptions& options) const {
  std::vector<Field> fields;
  for (int leaf : ResolveColumns(options.columns)) {
    try {
      fields.push_back(ResolveColumnType(footer_.schema.columns()[static_cast<size_t>(leaf)],
                                         options.column_options.int96_unit)
                           .field);
    } catch (Error& error) {
      throw std::move(error.With("file", source_->name()));
    }
  }
  return std::make_shared<const Schema>(std::move(fields));
}

std::unique_ptr<ParquetBatchReader> ParquetFileReader::ReadBatches(
    const ParquetReadOptions& options) {
  if (options.batch_rows <= 0) {
    throw InvalidArgument("batch_rows must be positive, not {}", options.batch_rows);
  }
  std::vector<int> row_groups = options.row_groups;
  if (row_groups.empty()) {
    for (int i = 0; i < num_row_groups(); ++i) row_groups.push_back(i);
  }
  for (int row_group : row_groups) {
    if (row_group < 0 || row_group >= num_row_groups()) {
      throw InvalidArgument("row group {} does not exist; the file has {}", row_group,
                            num_row_groups())
          .With("file", source_->name());
    }
  }
  std::shared_ptr<const Schema> schema = ReadSchema(options);
  return std::unique_ptr<ParquetBatchReader>(new ParquetBatchReader(
      *this, ResolveColumns(options.columns), std::move(row_groups), std::move(schema), options));
}

std::vector<RecordBatch> ParquetFileReader::ReadAll(const ParquetReadOptions& options) {
  std::unique_ptr<ParquetBatchReader> reader = ReadBatches(options);
  std::vector<RecordBatch> batches;
  while (std::optional<RecordBatch> batch = reader->Next()) batches.push_back(std::move(*batch));
  return batches;
}

ParquetBatchReader::ParquetBatchReader(ParquetFileReader& file, std::vector<int> leaves,
                                       std::vector<int> row_groups,
                                       std::shared_ptr<const Schema> schema,
                                       ParquetReadOptions options)
    : file_(file),
      leaves_(std::move(leaves)),
      row_groups_(std::move(row_groups)),
      schema_(std::move(schema)),
      options_(std::move(options)) {
  if (!options_.dictionary_columns.empty()) {
    dictionary_leaves_ = file_.ResolveColumns(options_.dictionary_columns);
  }
}

int64_t ParquetBatchReader::pages_skipped() const {
  int64_t pages = pages_skipped_;
  for (const auto& reader : readers_) pages += reader->pages_skipped();
  return pages;
}

std::optional<RecordBatch> ParquetBatchReader::Next() {
  const ParquetFooter& footer = file_.footer();
  while (rows_left_ == 0) {
    for (auto& reader : readers_) reader->CheckFullyRead();
    if (next_row_group_ == row_groups_.size()) {
      pages_skipped_ = pages_skipped();
      readers_.clear();
      return std::nullopt;
    }
    int row_group = row_groups_[next_row_group_++];
    rows_left_ = footer.metadata.row_groups[static_cast<size_t>(row_group)].num_rows;
    const RowRanges* selection = nullptr;
    if (auto at = options_.row_selection.find(row_group); at != options_.row_selection.end()) {
      rows_ = NormalizeRowRanges(at->second, rows_left_);
      rows_left_ = CountRows(rows_);
      selection = &rows_;
    }
    if (readers_.empty()) {
      for (int leaf : leaves_) {
        ColumnReadOptions column_options = options_.column_options;
        column_options.keep_dictionary =
            std::find(dictionary_leaves_.begin(), dictionary_leaves_.end(), leaf) !=
            dictionary_leaves_.end();
        readers_.push_back(std::make_unique<ColumnChunkReader>(file_.source(), footer, row_group,
                                                               leaf, column_options, selection));
      }
    } else {
      // The same columns of the next row group, reusing each reader's buffers.
      for (auto& reader : readers_) reader->StartRowGroup(row_group, selection);
    }
  }
  int64_t rows = std::min(rows_left_, options_.batch_rows);
  std::vector<Array> columns;
  columns.reserve(readers_.size());
  for (auto& reader : readers_) {
    Array column = reader->Read(rows);
    if (column.length() != rows) {
      throw InvalidData("the column chunk ends {} rows short of its row group's rows",
                        rows - column.length())
          .With("column", reader->type().field.name)
          .With("row_group", std::to_string(row_groups_[next_row_group_ - 1]))
          .With("file", file_.name());
    }
    columns.push_back(std::move(column));
  }
  rows_left_ -= rows;
  return RecordBatch::Make(schema_, std::move(columns), rows);
}

}  // namespace sluice::parquet
