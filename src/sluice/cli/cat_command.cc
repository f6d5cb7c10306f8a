#include "sluice/cli/cat_command.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/cli/csv_flags.h"
#include "sluice/cli/where_flag.h"
#include "sluice/io/csv/csv_reader.h"
#include "sluice/io/csv/csv_text.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/ops/json_text.h"
#include "sluice/ops/table_files.h"
#include "sluice/ops/table_scan.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"

namespace sluice::cli {
namespace {

struct CatOptions {
  std::vector<std::string> files;
  std::vector<std::string> columns;
  int64_t limit = -1;
  std::string format = "csv";
  std::string where;
  CsvFlags csv;
};

// Prints up to `left` rows of the batch; returns how many it printed.
int64_t PrintRows(const RecordBatch& batch, const std::string& format, int64_t left) {
  const int64_t rows = std::min(left, batch.num_rows());
  std::string out;
  bool nested = false;
  for (const Field& field : batch.schema().fields()) nested |= field.type.is_nested();
  const RecordBatch printed =
      format == "csv" && nested ? NestedAsJsonText(batch.Slice(0, rows)) : batch;
  for (int64_t r = 0; r < rows; ++r) {
    if (format == "csv") {
      csv::AppendCsvRow(printed, r, out);
    } else {
      nlohmann::ordered_json row = nlohmann::ordered_json::object();
      for (int c = 0; c < batch.num_columns(); ++c) {
        row[batch.schema().field(c).name] = JsonValue(batch.column(c), r);
      }
      out += row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
  }
  fmt::print("{}", out);
  return rows;
}

// The columns to print: --columns, or every top-level field (a nested one prints as JSON).
std::vector<std::string> PrintedColumns(const CatOptions& options,
                                        const parquet::ParquetFileReader& reader) {
  if (!options.columns.empty()) return options.columns;
  return reader.footer().schema.top_level_names();
}

// Calls start(schema), then print(batch) for the file's batches until it returns false; with a
// filter, through a TableScan that skips row groups by their statistics.
void ForEachBatch(const std::string& file, const std::vector<std::string>& columns,
                  const std::string& where, const std::function<void(const Schema&)>& start,
                  const std::function<bool(const RecordBatch&)>& print) {
  if (!where.empty()) {
    auto scan = TableScan::Open({file}, columns, where);
    start(*scan->schema());
    for (const ScanUnit& unit : scan->units()) {
      for (const RecordBatch& b : scan->Read(unit)) {
        if (!print(b)) return;
      }
    }
    return;
  }
  auto reader = parquet::ParquetFileReader::Open(file);
  parquet::ParquetReadOptions read;
  read.columns = columns;
  std::unique_ptr<parquet::ParquetBatchReader> batches = reader->ReadBatches(read);
  start(*batches->schema());
  while (std::optional<RecordBatch> batch = batches->Next()) {
    if (!print(*batch)) return;
  }
}

// A CSV file's batches as the CSV flags read them, chunk by chunk (so --limit stops early), with
// only --columns (in their order) when given.
void ForEachCsvBatch(const std::string& file, const CatOptions& options,
                     const std::function<void(const Schema&)>& start,
                     const std::function<bool(const RecordBatch&)>& print) {
  if (!options.where.empty()) {
    throw InvalidArgument("cat filters Parquet files; filter CSV with sort or distinct --where")
        .With("file", file);
  }
  auto reader = csv::CsvReader::Open(fs::FileSystemFor(file), {file}, options.csv.ToOptions());
  std::vector<int> picked;
  std::vector<Field> fields;
  for (const std::string& name : options.columns) {
    picked.push_back(reader->ColumnIndex(name));
    fields.push_back(reader->schema()->field(picked.back()));
  }
  auto schema = picked.empty() ? reader->schema() : std::make_shared<const Schema>(fields);
  start(*schema);
  auto chunks = reader->OpenFile(0);
  csv::CsvChunk chunk;
  while (chunks->Next(chunk)) {
    for (RecordBatch& b : reader->ParseChunk(chunk)) {
      std::vector<Array> arrays;
      for (int c : picked) arrays.push_back(b.column(c));
      if (!print(picked.empty() ? b : RecordBatch::Make(schema, std::move(arrays), b.num_rows()))) {
        return;
      }
    }
  }
}

int RunCat(const CatOptions& options) {
  if (options.format != "csv" && options.format != "jsonl") {
    throw InvalidArgument("--format must be csv or jsonl, not {}", options.format);
  }
  int64_t left = options.limit < 0 ? INT64_MAX : options.limit;
  std::shared_ptr<const Schema> first_schema;
  for (const std::string& file : options.files) {
    if (left == 0) break;
    const bool csv_file = IsCsvPath(file);
    const std::vector<std::string> columns =
        csv_file ? options.columns
                 : PrintedColumns(options, *parquet::ParquetFileReader::Open(file));
    if (columns.empty() && !csv_file) continue;
    auto start = [&](const Schema& schema) {
      if (first_schema == nullptr) {
        first_schema = std::make_shared<const Schema>(schema);
        if (options.format == "csv") {
          std::string header;
          csv::AppendCsvHeader(schema, header);
          fmt::print("{}", header);
        }
      } else if (options.format == "csv" && !(schema == *first_schema)) {
        throw InvalidArgument("its columns differ from the first file's; cat it separately")
            .With("file", file);
      }
    };
    auto print = [&](const RecordBatch& batch) {
      left -= PrintRows(batch, options.format, left);
      return left > 0;
    };
    if (csv_file) {
      ForEachCsvBatch(file, options, start, print);
    } else {
      ForEachBatch(file, columns, options.where, start, print);
    }
  }
  return 0;
}

}  // namespace

std::function<int()> AddCatCommand(CLI::App& app) {
  CLI::App* command =
      app.add_subcommand("cat",
                         "Print the rows of Parquet or CSV files as CSV (RFC 4180) or JSON lines; "
                         "CSV files are read with the CSV flags, to see what sluice reads. Nested "
                         "columns (lists, structs, maps) print as JSON.");
  auto options = std::make_shared<CatOptions>();
  command->add_option("files", options->files, "Parquet or CSV files")->required();
  command->add_option("--columns", options->columns, "Columns to print (comma-separated)")
      ->delimiter(',');
  command->add_option("--limit", options->limit, "Print at most this many rows in all");
  command->add_option("--format", options->format, "csv or jsonl")->capture_default_str();
  AddWhereOption(*command, options->where, "--where", "rows");
  options->csv.Add(*command);
  return [options] { return RunCat(*options); };
}

}  // namespace sluice::cli
