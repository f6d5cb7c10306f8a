#include "sluice/ops/table_scan.h"

#include "sluice/base/error.h"

namespace sluice {

std::shared_ptr<TableScan> TableScan::Open(const std::vector<std::string>& paths,
                                           std::vector<std::string> columns) {
  if (paths.empty()) throw InvalidArgument("no input files");
  std::shared_ptr<TableScan> scan(new TableScan());
  scan->columns_ = std::move(columns);
  parquet::ParquetReadOptions options;
  options.columns = scan->columns_;
  for (size_t f = 0; f < paths.size(); ++f) {
    auto reader = parquet::ParquetFileReader::Open(paths[f]);
    std::shared_ptr<const Schema> schema = reader->ReadSchema(options);
    if (scan->schema_ == nullptr) {
      scan->schema_ = schema;
    } else if (!(*schema == *scan->schema_)) {
      throw InvalidData("input files have different schemas")
          .With("file", paths[f])
          .With("first_file", paths[0])
          .With("schema", schema->ToString())
          .With("first_schema", scan->schema_->ToString());
    }
    for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
      const auto& group = reader->footer().metadata.row_groups[static_cast<size_t>(rg)];
      ScanUnit unit{static_cast<int>(scan->units_.size()), static_cast<int>(f), rg, group.num_rows};
      scan->num_rows_ += group.num_rows;
      scan->data_bytes_ += group.total_byte_size;
      scan->units_.push_back(unit);
    }
    scan->files_.push_back(std::move(reader));
  }
  return scan;
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

std::shared_ptr<TableScan> TableScan::OpenCsv(const std::vector<std::string>& patterns,
                                              csv::CsvReadOptions options) {
  std::shared_ptr<TableScan> scan(new TableScan());
  scan->csv_ = csv::CsvReader::Open(fs::LocalFileSystem(), patterns, std::move(options));
  scan->schema_ = scan->csv_->schema();
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
    const int64_t rows = b.num_rows();
    emit(std::move(b), position);
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
  if (files_.empty()) return {batches_[static_cast<size_t>(unit.index)]};
  parquet::ParquetReadOptions options;
  options.columns = columns_;
  options.row_groups = {unit.row_group};
  return files_[static_cast<size_t>(unit.file)]->ReadAll(options);
}

}  // namespace sluice
