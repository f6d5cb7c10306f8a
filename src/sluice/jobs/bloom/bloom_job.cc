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

namespace sluice {
namespace {

// The hashes of one chunk's values.
struct HashBatch {
  std::vector<uint64_t> hashes;
  int64_t rows = 0;
  int64_t nulls = 0;
};
int64_t ByteSize(const HashBatch& b) {
  return static_cast<int64_t>(b.hashes.capacity() * sizeof(uint64_t));
}

struct BloomPartial {
  int64_t blocks = 0;
  SplitBlockBloomFilter filter;  // allocated at the first insert, so copies of the init are free
  int64_t rows = 0;
  int64_t nulls = 0;
};

BloomValueType ValueTypeOf(const csv::CsvReadOptions& csv, const std::string& column) {
  auto it = csv.column_types.find(column);
  if (it == csv.column_types.end()) return BloomValueType::kString;
  switch (it->second.id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      return BloomValueType::kString;
    case TypeId::kInt32:
      return BloomValueType::kInt32;
    case TypeId::kInt64:
      return BloomValueType::kInt64;
    default:
      throw NotSupported(
          "Bloom filters over {} columns are not supported; use string, int32 or int64",
          it->second.ToString())
          .With("column", column);
  }
}

HashBatch HashChunk(const csv::CsvReader& reader, int column, BloomValueType type,
                    csv::CsvChunk& chunk) {
  HashBatch out;
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
  RunOptions quiet = run;
  quiet.report_path.clear();
  quiet.progress = ProgressMode::kOff;
  p.Run(quiet);
  return total.value();
}

}  // namespace

BloomJobResult RunBloomJob(const BloomJobOptions& options, const RunOptions& run,
                           std::shared_ptr<fs::FileSystem> fs) {
  if (options.column.empty()) throw InvalidArgument("name the column to index with --column");
  std::shared_ptr<fs::FileSystem> output_fs = fs;
  if (fs == nullptr) {
    const std::string first = options.inputs.empty() ? "" : options.inputs.front();
    for (const std::string& input : options.inputs) {
      if (fs::IsS3Url(input) != fs::IsS3Url(first)) {
        throw InvalidArgument("inputs are all s3:// URLs or all local paths").With("input", input);
      }
    }
    fs = fs::FileSystemFor(first);
    output_fs = fs::FileSystemFor(options.output);
  }
  if (!(options.fpr > 0 && options.fpr < 1)) {
    throw InvalidArgument("--fpr must be between 0 and 1, not {}", options.fpr);
  }
  csv::CsvReadOptions csv_options = options.csv;
  // The projected tokenizer only reads chunks: map the files instead of copying them.
  csv_options.map_files = csv::ProjectedTokenizer::Supports(csv_options.dialect);
  auto reader = csv::CsvReader::Open(fs, options.inputs, csv_options);
  const int column = reader->ColumnIndex(options.column);
  const BloomValueType value_type = ValueTypeOf(options.csv, options.column);

  BloomJobResult result;
  result.input_files = reader->num_files();
  bool compressed = false;
  for (const fs::FileInfo& f : reader->files()) {
    result.input_bytes += f.size;
    auto file = fs->OpenForRead(f.path);
    compressed |= csv::DetectCompression(*file) != csv::Compression::kNone;
  }

  // Sizing.
  int64_t expected = options.expected_items;
  std::string sizing;
  if (expected > 0) {
    sizing = "given";
    result.sizing_note = fmt::format("sized for {} items (--expected-items)", expected);
  } else if (options.sizing == BloomSizing::kCount ||
             (options.sizing == BloomSizing::kAuto && compressed)) {
    expected = std::max<int64_t>(1, CountRows(*reader, run));
    sizing = "counted";
    result.sizing_note = fmt::format("sized for {} items (rows counted in a first pass{})",
                                     expected, compressed ? " over compressed input" : "");
  } else {
    if (compressed) {
      throw InvalidArgument(
          "cannot estimate the row count of compressed files; use --sizing count or "
          "--expected-items");
    }
    // Bytes per row from the first chunk of the first file.
    // 1 MiB chunks: a full-size chunk costs more to read than the estimate needs.
    csv::CsvChunkReader sample(*fs, reader->files()[0].path, 0, options.csv.dialect,
                               std::min<int64_t>(options.csv.chunk_bytes, 1 << 20));
    csv::CsvChunk chunk;
    while (sample.bytes_read() < (1 << 20) && sample.Next(chunk)) {
    }
    const int64_t sample_bytes = sample.bytes_read();
    const double per_row = static_cast<double>(sample_bytes) /
                           static_cast<double>(std::max<int64_t>(1, sample.row_ends()));
    // A 10% margin: the sample may have shorter rows than the rest.
    expected = std::max<int64_t>(
        1,
        static_cast<int64_t>(std::ceil(1.1 * static_cast<double>(result.input_bytes) / per_row)));
    sizing = "estimated";
    result.sizing_note = fmt::format(
        "sized for {} items (estimated from {} of input at {:.1f} bytes per row in a sample, "
        "+10%; give --expected-items or --sizing count to size exactly)",
        expected, FormatBytes(result.input_bytes), per_row);
  }
  const int64_t blocks = SplitBlockBloomFilter::BlocksFor(expected, options.fpr);
  const int64_t filter_bytes = blocks * static_cast<int64_t>(SplitBlockBloomFilter::kBytesPerBlock);

  // Partial filters: one per insert task, as many as fit half the budget (at least one), and one
  // per four CPU threads: inserting a hash costs about a fifth of parsing and hashing its row
  // (perf), and every extra partial is another large filter to miss cache in and to merge.
  const int threads = run.cpu_threads > 0
                          ? run.cpu_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  RunOptions main_run = run;
  int partials = static_cast<int>(
      std::clamp<int64_t>(1 + run.memory_budget / 2 / std::max<int64_t>(filter_bytes, 1), 1, 64));
  partials = std::min(partials, (threads + 3) / 4);
  main_run.memory_budget =
      std::max<int64_t>(run.memory_budget - (partials - 1) * filter_bytes, run.memory_budget / 4);
  result.partial_filters = partials;
  SLUICE_LOG_INFO("bloom: {}; filter {} ({} blocks), up to {} partial filters", result.sizing_note,
                  FormatBytes(filter_bytes), blocks, partials);

  Pipeline p("bloom");
  std::vector<int> files;
  for (int f = 0; f < reader->num_files(); ++f) files.push_back(f);
  auto merged = p.Source("files", files)
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
                         })
                    .Reduce(
                        "insert", BloomPartial{blocks, {}, 0, 0},
                        [](BloomPartial& s, HashBatch batch) {
                          if (s.filter.empty()) s.filter = SplitBlockBloomFilter(s.blocks);
                          s.filter.InsertMany(batch.hashes);
                          s.rows += batch.rows;
                          s.nulls += batch.nulls;
                        },
                        [](BloomPartial& into, BloomPartial&& part) {
                          if (into.filter.empty()) {
                            into.filter = std::move(part.filter);
                          } else if (!part.filter.empty()) {
                            into.filter.Merge(part.filter);
                          }
                          into.rows += part.rows;
                          into.nulls += part.nulls;
                        },
                        {.max_concurrency = partials});
  result.report = p.Run(main_run);
  SLUICE_LOG_DEBUG("bloom: pipeline done");

  BloomPartial& state = merged.value();
  if (state.filter.empty()) state.filter = SplitBlockBloomFilter(blocks);
  result.rows = state.rows;
  result.nulls = state.nulls;
  result.bad_rows = reader->bad_rows().count();
  result.bad_row_examples = reader->bad_rows().examples();
  result.file.column = options.column;
  result.file.value_type = value_type;
  result.file.items = state.rows - state.nulls;
  result.file.expected_items = expected;
  result.file.target_fpr = options.fpr;
  result.file.sizing = sizing;
  result.file.filter = std::move(state.filter);
  if (result.file.items > expected) {
    SLUICE_LOG_WARN(
        "bloom: {} values inserted into a filter sized for {}; its false-positive rate is "
        "about {:.3g} instead of {}",
        result.file.items, expected, SplitBlockBloomFilter::ExpectedFpr(blocks, result.file.items),
        options.fpr);
  }
  if (!options.output.empty()) {
    WriteBloomFilterFile(*output_fs, options.output, result.file);
    SLUICE_LOG_DEBUG("bloom: wrote {}", options.output);
  }
  return result;
}

}  // namespace sluice
