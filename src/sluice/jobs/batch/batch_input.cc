#include "sluice/jobs/batch/batch_input.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/ops/predicate_parser.h"
#include "sluice/ops/table_files.h"

namespace sluice {

std::vector<std::string> ExpandInputPaths(const BatchInput& input) {
  if (input.paths_matched) return input.paths;
  std::vector<std::string> paths;
  for (const std::string& pattern : input.paths) {
    std::vector<fs::FileInfo> matches;
    try {
      matches = fs::FileSystemFor(pattern)->Glob(pattern);
    } catch (Error& e) {
      throw std::move(e).With("input", input.name);
    }
    if (matches.empty()) {
      throw NotFound("no file matches").With("input", input.name).With("pattern", pattern);
    }
    for (const fs::FileInfo& m : matches) paths.push_back(m.path);
  }
  if (paths.empty()) throw InvalidArgument("input '{}' names no files", input.name);
  return paths;
}

BatchInput BatchInput::Parquet(std::string name, std::vector<std::string> paths) {
  BatchInput in;
  in.name = std::move(name);
  in.format = Format::kParquet;
  in.paths = std::move(paths);
  return in;
}

BatchInput BatchInput::Csv(std::string name, std::vector<std::string> paths,
                           csv::CsvReadOptions options) {
  BatchInput in;
  in.name = std::move(name);
  in.format = Format::kCsv;
  in.paths = std::move(paths);
  in.csv = std::move(options);
  return in;
}

BatchInput BatchInput::Batches(std::string name, std::shared_ptr<const Schema> schema,
                               std::vector<RecordBatch> batches) {
  BatchInput in;
  in.name = std::move(name);
  in.format = Format::kBatches;
  in.schema = std::move(schema);
  in.batches = std::move(batches);
  return in;
}

BatchInput BatchInput::Files(std::string name, std::vector<std::string> patterns) {
  BatchInput in = Parquet(std::move(name), std::move(patterns));
  std::vector<std::string> paths = ExpandInputPaths(in);
  size_t csv = 0;
  for (const std::string& p : paths) {
    if (IsCsvPath(p)) {
      ++csv;
    } else if (!p.ends_with(".parquet")) {
      throw NotSupported("inputs are Parquet (.parquet) or CSV (.csv, .csv.gz, .csv.zst, .tsv)")
          .With("input", in.name)
          .With("file", p);
    }
  }
  if (csv != 0 && csv != paths.size()) {
    throw InvalidArgument("input '{}' mixes CSV and Parquet files; give one kind", in.name);
  }
  if (csv != 0) {
    in.format = Format::kCsv;
    if (paths[0].ends_with(".tsv")) in.csv.dialect.delimiter = '\t';
  }
  in.paths = std::move(paths);
  in.paths_matched = true;
  return in;
}

void CheckInputName(const std::string& name) {
  bool ok = !name.empty() && name != "." && name != "..";
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  }
  if (!ok) {
    throw InvalidArgument("an input name is letters, digits, '_', '-' and '.', not '{}'", name);
  }
}

namespace {

// An in-memory input's batches, filtered by its `where` at once (they are in memory already).
std::vector<RecordBatch> FilterBatches(const BatchInput& input) {
  if (input.where.empty()) return input.batches;
  std::shared_ptr<const Predicate> predicate;
  try {
    predicate = Predicate::Bind(ParsePredicate(input.where), *input.schema);
  } catch (Error& e) {
    e.With("where", input.where);
    throw;
  }
  std::vector<RecordBatch> out;
  for (const RecordBatch& b : input.batches) out.push_back(predicate->Filter(b));
  return out;
}

}  // namespace

std::shared_ptr<TableScan> OpenBatchInput(const BatchInput& input) {
  try {
    switch (input.format) {
      case BatchInput::Format::kParquet:
        return TableScan::Open(ExpandInputPaths(input), {}, input.where);
      case BatchInput::Format::kCsv:
        return TableScan::OpenCsv(ExpandInputPaths(input), input.csv, input.where);
      case BatchInput::Format::kBatches:
        if (!input.schema) throw InvalidArgument("an in-memory input needs its schema");
        return TableScan::FromBatches(input.schema, FilterBatches(input));
    }
  } catch (Error& e) {
    throw std::move(e).With("input", input.name);
  }
  throw InternalError("unknown input format");
}

int64_t UnitReadBytes(const BatchInput& input, const TableScan& scan) {
  switch (input.format) {
    case BatchInput::Format::kParquet: {
      // The largest row group, at the table's bytes per row.
      int64_t rows = 0;
      for (const ScanUnit& unit : scan.units()) rows = std::max(rows, unit.rows);
      if (scan.num_rows() <= 0) return 0;
      return 3 *
             static_cast<int64_t>(static_cast<double>(scan.data_bytes()) *
                                  static_cast<double>(rows) / static_cast<double>(scan.num_rows()));
    }
    case BatchInput::Format::kCsv:
      return 2 * static_cast<int64_t>(input.csv.chunk_bytes);
    case BatchInput::Format::kBatches:
      return 0;
  }
  return 0;
}

}  // namespace sluice
