#include "sluice/io/parquet/file_reader.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_system_source.h"
#include "sluice/table/concat.h"

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

std::vector<ReadColumn> ParquetFileReader::ResolveReadColumns(const std::vector<std::string>& names,
                                                              sluice::TimeUnit int96_unit) const {
  const ParquetSchema& schema = footer_.schema;
  auto nested = [&](const std::string& name) {
    return ReadColumn{-1, std::make_shared<const NestedNode>(
                              BuildNestedField(schema, footer_.metadata.schema, name, int96_unit))};
  };
  std::vector<ReadColumn> columns;
  try {
    if (names.empty()) {
      for (const std::string& name : schema.top_level_names()) {
        columns.push_back(IsNestedTopLevel(schema, name) ? nested(name)
                                                         : ReadColumn{schema.FindColumn(name)});
      }
      return columns;
    }
    for (const std::string& name : names) {
      int leaf = schema.FindColumn(name);
      if (leaf >= 0 && !schema.columns()[static_cast<size_t>(leaf)].nested) {
        columns.push_back(ReadColumn{leaf});
      } else if (IsNestedTopLevel(schema, name)) {
        columns.push_back(nested(name));
      } else if (leaf >= 0) {
        const std::string& top = schema.columns()[static_cast<size_t>(leaf)].path.front();
        throw NotSupported("column {} lies inside nested column {}; read {} whole", name, top, top)
            .With("column", name);
      } else {
        throw NotFound("no column named {}", name);
      }
    }
  } catch (Error& error) {
    throw std::move(error.With("file", source_->name()));
  }
  return columns;
}

std::shared_ptr<const Schema> ParquetFileReader::ReadSchema(
    const ParquetReadOptions& options) const {
  std::vector<Field> fields;
  for (const ReadColumn& column :
       ResolveReadColumns(options.columns, options.column_options.int96_unit)) {
    if (column.nested != nullptr) {
      fields.push_back(column.nested->field);
      continue;
    }
    try {
      fields.push_back(ResolveColumnType(footer_.schema.columns()[static_cast<size_t>(column.leaf)],
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
      *this, ResolveReadColumns(options.columns, options.column_options.int96_unit),
      std::move(row_groups), std::move(schema), options));
}

std::vector<RecordBatch> ParquetFileReader::ReadAll(const ParquetReadOptions& options) {
  std::unique_ptr<ParquetBatchReader> reader = ReadBatches(options);
  std::vector<RecordBatch> batches;
  while (std::optional<RecordBatch> batch = reader->Next()) batches.push_back(std::move(*batch));
  return batches;
}

ParquetBatchReader::ParquetBatchReader(ParquetFileReader& file, std::vector<ReadColumn> columns,
                                       std::vector<int> row_groups,
                                       std::shared_ptr<const Schema> schema,
                                       ParquetReadOptions options)
    : file_(file),
      columns_(std::move(columns)),
      row_groups_(std::move(row_groups)),
      schema_(std::move(schema)),
      options_(std::move(options)) {
  if (!options_.dictionary_columns.empty()) {
    dictionary_leaves_ = file_.ResolveColumns(options_.dictionary_columns);
  }
}

int64_t ParquetBatchReader::pages_skipped() const {
  int64_t pages = pages_skipped_;
  for (const auto& reader : readers_) {
    if (reader != nullptr) pages += reader->pages_skipped();
  }
  return pages;
}

void ParquetBatchReader::OpenReaders(int row_group, const RowRanges* selection) {
  const ParquetFooter& footer = file_.footer();
  if (open_) {
    // The same columns of the next row group, reusing each reader's buffers.
    for (auto& reader : readers_) {
      if (reader != nullptr) reader->StartRowGroup(row_group, selection);
    }
    for (auto& reader : nested_readers_) {
      if (reader != nullptr) reader->StartRowGroup(row_group);
    }
    return;
  }
  open_ = true;
  for (const ReadColumn& column : columns_) {
    if (column.nested != nullptr) {
      readers_.push_back(nullptr);
      nested_readers_.push_back(std::make_unique<NestedColumnReader>(
          file_.source(), footer, row_group, *column.nested, options_.column_options));
      continue;
    }
    ColumnReadOptions column_options = options_.column_options;
    column_options.keep_dictionary = std::find(dictionary_leaves_.begin(), dictionary_leaves_.end(),
                                               column.leaf) != dictionary_leaves_.end();
    readers_.push_back(std::make_unique<ColumnChunkReader>(file_.source(), footer, row_group,
                                                           column.leaf, column_options, selection));
    nested_readers_.push_back(nullptr);
  }
}

Array ParquetBatchReader::ReadNested(size_t c, int64_t rows) {
  NestedColumnReader& reader = *nested_readers_[c];
  if (!selecting_) return reader.Read(rows);
  // Nested readers read every record: the unselected ones are read and dropped.
  std::vector<Array> pieces;
  int64_t row = nested_row_;
  for (const RowRange& range : rows_) {
    if (rows == 0) break;
    if (range.end <= row) continue;
    if (range.begin > row) {
      reader.Skip(range.begin - row);
      row = range.begin;
    }
    const int64_t n = std::min(rows, range.end - row);
    pieces.push_back(reader.Read(n));
    row += n;
    rows -= n;
  }
  if (pieces.size() == 1) return std::move(pieces[0]);
  if (pieces.empty()) return reader.Read(0);
  return ConcatArrays(pieces, options_.column_options.allocator);
}

std::optional<RecordBatch> ParquetBatchReader::Next() {
  const ParquetFooter& footer = file_.footer();
  while (rows_left_ == 0) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (readers_.size() <= c) break;
      if (readers_[c] != nullptr) {
        readers_[c]->CheckFullyRead();
      } else {
        // A selection leaves the records after its last range unread.
        if (selecting_ && nested_row_ < row_group_rows_) {
          nested_readers_[c]->Skip(row_group_rows_ - nested_row_);
        }
        nested_readers_[c]->CheckFullyRead();
      }
    }
    if (next_row_group_ == row_groups_.size()) {
      pages_skipped_ = pages_skipped();
      readers_.clear();
      nested_readers_.clear();
      open_ = false;
      return std::nullopt;
    }
    int row_group = row_groups_[next_row_group_++];
    row_group_rows_ = footer.metadata.row_groups[static_cast<size_t>(row_group)].num_rows;
    rows_left_ = row_group_rows_;
    nested_row_ = 0;
    const RowRanges* selection = nullptr;
    selecting_ = false;
    if (auto at = options_.row_selection.find(row_group); at != options_.row_selection.end()) {
      rows_ = NormalizeRowRanges(at->second, rows_left_);
      rows_left_ = CountRows(rows_);
      selection = &rows_;
      selecting_ = true;
    }
    OpenReaders(row_group, selection);
  }
  int64_t rows = std::min(rows_left_, options_.batch_rows);
  std::vector<Array> columns;
  columns.reserve(columns_.size());
  int64_t next_nested_row = nested_row_;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const bool flat = readers_[c] != nullptr;
    Array column = flat ? readers_[c]->Read(rows) : ReadNested(c, rows);
    const std::string& name =
        flat ? readers_[c]->type().field.name : columns_[c].nested->field.name;
    if (column.length() != rows) {
      throw InvalidData("the column chunk ends {} rows short of its row group's rows",
                        rows - column.length())
          .With("column", name)
          .With("row_group", std::to_string(row_groups_[next_row_group_ - 1]))
          .With("file", file_.name());
    }
    columns.push_back(std::move(column));
  }
  // Where the nested readers stand in the row group: past the last selected row read.
  if (selecting_) {
    int64_t left = rows;
    for (const RowRange& range : rows_) {
      if (left == 0 || range.end <= next_nested_row) continue;
      next_nested_row = std::max(next_nested_row, range.begin);
      const int64_t n = std::min(left, range.end - next_nested_row);
      next_nested_row += n;
      left -= n;
    }
  } else {
    next_nested_row += rows;
  }
  nested_row_ = next_nested_row;
  rows_left_ -= rows;
  return RecordBatch::Make(schema_, std::move(columns), rows);
}

}  // namespace sluice::parquet
