#include "sluice/jobs/bloom/bloom_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/flow/pipeline.h"
#include "sluice/io/csv/csv_tokenizer.h"
#include "sluice/io/csv/projected_tokenizer.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/bloom/bloom_insert.h"
#include "sluice/jobs/bloom/bloom_scan.h"

namespace sluice {
namespace {

BloomValueType ValueTypeOf(const csv::CsvReadOptions& csv, const std::string& column) {
  auto it = csv.column_types.find(column);
  if (it == csv.column_types.end()) return BloomValueType::kString;
  return BloomValueTypeOf(it->second, column);
}

BloomHashes HashChunk(const csv::CsvReader& reader, int column, BloomValueType type,
                      csv::CsvChunk& chunk) {
  BloomHashes out;
  const size_t fields = static_cast<size_t>(reader.schema()->num_fields());
  out.hashes.reserve(chunk.size() / 32 + 16);
  const csv::CsvDialect& dialect = reader.options().dialect;
  const auto& nulls = dialect.null_values;
  const bool only_empty_is_null = nulls.size() == 1 && nulls[0].empty();
  // Hashes one value; false when it does not parse as the column's type (the row is then
  // reported through the full-row path below).
  auto add = [&](const csv::CsvField& f) {
    const bool is_null = only_empty_is_null ? (f.size == 0 && !f.quoted) : reader.IsNull(f);
    if (is_null) {
      ++out.rows;
      ++out.nulls;
      return true;
    }
    if (type == BloomValueType::kString) {
      out.hashes.push_back(XxHash64(f.data, f.size, 0));
    } else if (auto h = HashBloomValue(type, f.view())) {
      out.hashes.push_back(*h);
    } else {
      return false;
    }
    ++out.rows;
    return true;
  };
  auto row_path = [&](const csv::CsvRow& row) {
    if (row.problem != csv::RowProblem::kNone || row.fields.size() != fields) [[unlikely]] {
      reader.bad_rows().Handle(*reader.RowError(chunk, row));
      return true;
    }
    if (!add(row.fields[static_cast<size_t>(column)])) {
      reader.bad_rows().Handle(reader.ValueError(
          chunk, row, column,
          type == BloomValueType::kInt32 ? DataType::Int32() : DataType::Int64()));
    }
    return true;
  };
  if (csv::ProjectedTokenizer::Supports(dialect)) {
    csv::ProjectedTokenizer tokenizer(dialect, column, static_cast<int>(fields));
    tokenizer.Tokenize(
        chunk.cdata(), chunk.size(), chunk.first_line,
        [&](const csv::CsvField& f, int64_t) { return add(f); }, row_path);
  } else {
    csv::CsvTokenizer tokenizer(dialect);
    tokenizer.Tokenize(chunk.data(), chunk.size(), chunk.first_line, row_path);
  }
  // A file truncated under a mapped chunk reads zeros past its new end, which may parse as
  // values: the chunk's hashes count only if the file is still the one mapped (a stat).
  chunk.RequireSourceUnchanged();
  return out;
}

// Rows per file by reading every file (in parallel across files): for compressed inputs.
int64_t CountRows(const csv::CsvReader& reader, const RunOptions& run) {
  Pipeline p("bloom-count");
  std::vector<int> files;
  for (int f = 0; f < reader.num_files(); ++f) files.push_back(f);
  auto total = p.Source("files", files)
                   .Map("count",
                        [&](int f) {
                          auto chunks = reader.OpenFile(f);
                          csv::CsvChunk chunk;
                          while (chunks->Next(chunk)) {
                          }
                          return chunks->raw().row_ends();
                        },
                        {.kind = kIo})
                   .Reduce(
                       "sum", int64_t{0}, [](int64_t& s, int64_t n) { s += n; },
                       [](int64_t& into, int64_t&& part) { into += part; });
  p.Run(SizingPassOptions(run));
  return total.value();
}

// The CSV inputs' reader (through `fs`, or fs::FileSystemFor of the inputs when null), their
// bytes on disk and whether any is compressed.
struct CsvInputs {
  std::shared_ptr<fs::FileSystem> fs;
  std::shared_ptr<csv::CsvReader> reader;
  int64_t bytes = 0;
  bool compressed = false;
};

CsvInputs OpenCsvInputs(const BloomJobOptions& options, std::shared_ptr<fs::FileSystem> fs) {
  if (fs == nullptr) {
    const std::string first = options.inputs.empty() ? "" : options.inputs.front();
    for (const std::string& input : options.inputs) {
      if (fs::IsS3Url(input) != fs::IsS3Url(first)) {
        throw InvalidArgument("inputs are all s3:// URLs or all local paths").With("input", input);
      }
    }
    fs = fs::FileSystemFor(first);
  }
  csv::CsvReadOptions csv_options = options.csv;
  // The projected tokenizer only reads chunks: map the files instead of copying them.
  csv_options.map_files = csv::ProjectedTokenizer::Supports(csv_options.dialect);
  CsvInputs in;
  in.reader = csv::CsvReader::Open(fs, options.inputs, csv_options);
  for (const fs::FileInfo& f : in.reader->files()) {
    in.bytes += f.size;
    auto file = fs->OpenForRead(f.path);
    in.compressed |= csv::DetectCompression(*file) != csv::Compression::kNone;
  }
  in.fs = std::move(fs);
  return in;
}

// The CSV byte path's sizing: given, counted (compressed inputs, or asked) or estimated from a
// sample's bytes per row.
BloomSize SizeCsvFilter(const BloomJobOptions& options, const CsvInputs& in,
                        const RunOptions& run) {
  if (options.expected_items > 0) {
    return {options.expected_items, "given",
            fmt::format("sized for {} items (--expected-items)", options.expected_items)};
  }
  if (options.sizing == BloomSizing::kCount ||
      (options.sizing == BloomSizing::kAuto && in.compressed)) {
    const int64_t expected = std::max<int64_t>(1, CountRows(*in.reader, run));
    return {expected, "counted",
            fmt::format("sized for {} items (rows counted in a first pass{})", expected,
                        in.compressed ? " over compressed input" : "")};
  }
  if (in.compressed) {
    throw InvalidArgument(
        "cannot estimate the row count of compressed files; use --sizing count or "
        "--expected-items");
  }
  // Bytes per row from the first chunk of the first file.
  // 1 MiB chunks: a full-size chunk costs more to read than the estimate needs.
  csv::CsvChunkReader sample(*in.fs, in.reader->files()[0].path, 0, options.csv.dialect,
                             std::min<int64_t>(options.csv.chunk_bytes, 1 << 20));
  csv::CsvChunk chunk;
  while (sample.bytes_read() < (1 << 20) && sample.Next(chunk)) {
  }
  const int64_t sample_bytes = sample.bytes_read();
  const double per_row = static_cast<double>(sample_bytes) /
                         static_cast<double>(std::max<int64_t>(1, sample.row_ends()));
  // A 10% margin: the sample may have shorter rows than the rest.
  const int64_t expected = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(1.1 * static_cast<double>(in.bytes) / per_row)));
  return {expected, "estimated",
          fmt::format("sized for {} items (estimated from {} of input at {:.1f} bytes per row in a "
                      "sample, +10%; give --expected-items or --sizing count to size exactly)",
                      expected, FormatBytes(in.bytes), per_row)};
}

void CheckBloomOptions(const BloomJobOptions& options) {
  if (options.column.empty()) throw InvalidArgument("the column to index is not named");
  if (!(options.fpr > 0 && options.fpr < 1)) {
    throw InvalidArgument("the false-positive rate must be between 0 and 1, not {}", options.fpr);
  }
}

bool TakesScanPath(const BloomJobOptions& options) {
  return !options.where.empty() || BloomInputsAreParquet(options.inputs);
}

}  // namespace

BloomSize SizeBloomFilter(const BloomJobOptions& options, const RunOptions& run) {
  CheckBloomOptions(options);
  if (TakesScanPath(options)) return SizeBloomScan(options, run);
  return SizeCsvFilter(options, OpenCsvInputs(options, nullptr), run);
}

BloomJobResult RunBloomJob(const BloomJobOptions& options, const RunOptions& run,
                           std::shared_ptr<fs::FileSystem> fs) {
  CheckBloomOptions(options);
  if (TakesScanPath(options)) return RunBloomScan(options, run);
  std::shared_ptr<fs::FileSystem> output_fs =
      fs != nullptr ? fs : fs::FileSystemFor(options.output);
  const CsvInputs in = OpenCsvInputs(options, std::move(fs));
  const std::shared_ptr<csv::CsvReader>& reader = in.reader;
  const int column = reader->ColumnIndex(options.column);
  const BloomValueType value_type = ValueTypeOf(options.csv, options.column);

  BloomJobResult result;
  result.input_files = reader->num_files();
  result.input_bytes = in.bytes;
  const BloomSize size = SizeCsvFilter(options, in, run);
  const int64_t expected = size.expected;
  result.sizing_note = size.note;
  const BloomInsertPlan plan = PlanBloomInsert(run, expected, options.fpr);
  SLUICE_LOG_INFO(
      "bloom: {}; filter {} ({} blocks), up to {} partial filters", result.sizing_note,
      FormatBytes(plan.blocks * static_cast<int64_t>(SplitBlockBloomFilter::kBytesPerBlock)),
      plan.blocks, plan.partials);

  Pipeline p("bloom");
  std::vector<int> files;
  for (int f = 0; f < reader->num_files(); ++f) files.push_back(f);
  auto merged =
      AddBloomInsert(p.Source("files", files)
                         .FlatMap("read",
                                  [reader](int f, Emitter<csv::CsvChunk>& out) {
                                    auto chunks = reader->OpenFile(f);
                                    csv::CsvChunk chunk;
                                    while (!out.cancel().cancelled() && chunks->Next(chunk))
                                      out.Emit(std::move(chunk));
                                  },
                                  {.kind = kIo})
                         .Map("parse",
                              [reader, column, value_type](csv::CsvChunk chunk) {
                                return HashChunk(*reader, column, value_type, chunk);
                              }),
                     plan);
  result.report = p.Run(plan.run);
  SLUICE_LOG_DEBUG("bloom: pipeline done");

  result.bad_rows = reader->bad_rows().count();
  result.bad_row_examples = reader->bad_rows().examples();
  result.file.sizing = size.sizing;
  FinishBloomResult(merged.value(), options, value_type, expected, plan, *output_fs, result);
  return result;
}

}  // namespace sluice
