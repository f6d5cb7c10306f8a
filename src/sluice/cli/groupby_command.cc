#include "sluice/cli/groupby_command.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"
#include "sluice/cli/csv_text.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/group_by.h"

namespace sluice::cli {
namespace {

struct GroupByFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> by;
  std::string agg;
  std::string output;
  std::string partitions;
  std::string delimiter;
  bool page_index = false;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsCsv(const std::string& path) {
  return EndsWith(path, ".csv") || EndsWith(path, ".csv.gz") || EndsWith(path, ".csv.zst") ||
         EndsWith(path, ".tsv");
}

// The input table: every file the arguments name (each glob's matches sorted), all Parquet or
// all CSV.
std::shared_ptr<TableScan> OpenInputs(const std::vector<std::string>& inputs,
                                      const GroupByFlags& flags) {
  auto fs = fs::LocalFileSystem();
  std::vector<std::string> paths;
  int csv_files = 0;
  for (const std::string& input : inputs) {
    std::vector<fs::FileInfo> matches = fs->Glob(input);
    if (matches.empty()) throw NotFound("no input file matches").With("input", input);
    for (const fs::FileInfo& m : matches) {
      if (IsCsv(m.path)) {
        ++csv_files;
      } else if (!EndsWith(m.path, ".parquet")) {
        throw NotSupported("inputs are Parquet (.parquet) or CSV (.csv, .csv.gz, .csv.zst, .tsv)")
            .With("input", m.path);
      }
      paths.push_back(m.path);
    }
  }
  if (csv_files == 0) return TableScan::Open(paths);
  if (csv_files != static_cast<int>(paths.size())) {
    throw InvalidArgument("inputs mix CSV and Parquet files; give one kind");
  }
  csv::CsvReadOptions options;
  if (!flags.delimiter.empty()) {
    if (flags.delimiter.size() != 1 && flags.delimiter != "\\t") {
      throw InvalidArgument("--delimiter must be one character (or \\t), not '{}'",
                            flags.delimiter);
    }
    options.dialect.delimiter = flags.delimiter == "\\t" ? '\t' : flags.delimiter[0];
  } else if (EndsWith(paths[0], ".tsv")) {
    options.dialect.delimiter = '\t';
  }
  return TableScan::OpenCsv(paths, options);
}

// "8", "4..64": InvalidArgument naming the flag otherwise.
std::pair<int, int> ParseRange(const std::string& text) {
  auto bad = [&] { return InvalidArgument("--partitions wants N or MIN..MAX, not '{}'", text); };
  const size_t dots = text.find("..");
  try {
    size_t used = 0;
    if (dots == std::string::npos) {
      const int n = std::stoi(text, &used);
      if (used != text.size() || n < 1) throw bad();
      return {n, n};
    }
    const int lo = std::stoi(text.substr(0, dots), &used);
    if (used != dots) throw bad();
    const std::string hi_text = text.substr(dots + 2);
    const int hi = std::stoi(hi_text, &used);
    if (used != hi_text.size() || lo < 1 || hi < lo) throw bad();
    return {lo, hi};
  } catch (const std::logic_error&) {
    throw bad();
  }
}

void WriteCsv(const std::string& path, const Schema& schema,
              const std::vector<RecordBatch>& batches) {
  const std::string temp = TemporaryPathFor(path);
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) throw IoErrorFromErrno(errno, "create", temp);
  std::string out;
  AppendCsvHeader(schema, out);
  bool ok = true;
  for (const RecordBatch& b : batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      AppendCsvRow(b, r, out);
      if (out.size() > (1 << 20)) {
        ok = ok && std::fwrite(out.data(), 1, out.size(), f) == out.size();
        out.clear();
      }
    }
  }
  ok = ok && std::fwrite(out.data(), 1, out.size(), f) == out.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    throw IoErrorFromErrno(error, "write", path);
  }
}

int RunGroupByCommand(const GroupByFlags& flags, const JobFlags& job) {
  const bool csv = EndsWith(flags.output, ".csv");
  if (!csv && !EndsWith(flags.output, ".parquet")) {
    throw InvalidArgument("the output's extension picks its format: .parquet or .csv")
        .With("output", flags.output);
  }
  if (csv && flags.page_index) {
    throw InvalidArgument("--page-index is for Parquet output").With("output", flags.output);
  }
  GroupBySpec spec;
  spec.keys = flags.by;
  spec.aggregates = ParseAggregateCalls(flags.agg);
  GroupByOptions options;
  if (!flags.partitions.empty()) {
    std::tie(options.min_partitions, options.max_partitions) = ParseRange(flags.partitions);
  }
  options.run = job.ToRunOptions(InstallInterruptHandler());
  auto scan = OpenInputs(flags.inputs, flags);
  GroupByResult result = RunGroupBy(*scan, spec, options);
  if (csv) {
    WriteCsv(flags.output, *result.schema, result.batches);
  } else {
    parquet::ParquetWriteOptions write_options;
    write_options.page_index = flags.page_index;
    parquet::WriteParquetFile(flags.output, result.schema, result.batches, write_options);
  }
  const double seconds = result.scan_report.wall_seconds + result.merge_report.wall_seconds;
  fmt::print("{}", result.scan_report.Summary());
  fmt::print(
      "groupby: {} rows from {} scan units into {} groups ({} partitions) in {:.2f} s; peak "
      "memory {} of {} in flight, plus group-by state {} after the scan and at most {} per "
      "partition merge; wrote {}\n",
      result.input_rows, scan->units().size(), result.groups, result.partitions, seconds,
      FormatBytes(result.scan_report.peak_memory), FormatBytes(result.scan_report.memory_budget),
      FormatBytes(result.partial_state_bytes), FormatBytes(result.max_merge_state_bytes),
      flags.output);
  return 0;
}

}  // namespace

std::function<int()> AddGroupByCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "groupby",
      "Group rows by key columns and aggregate: count(*), count, count_distinct, sum, min, max, "
      "mean (avg), var, stddev, median, first, last, corr(x, y). Nulls form their own group, as "
      "in SQL. Reads Parquet or CSV files (header line, types inferred); writes OUT as Parquet or "
      "CSV by its extension.");
  auto flags = std::make_shared<GroupByFlags>();
  auto job = std::make_shared<JobFlags>();
  command->add_option("inputs", flags->inputs, "Parquet or CSV files, globs or directories")
      ->required();
  command->add_option("--delimiter", flags->delimiter,
                      "CSV field delimiter (default , or \\t for .tsv)");
  command->add_option("--by", flags->by, "Key columns (comma-separated; none: one group)")
      ->delimiter(',');
  command->add_option("--agg", flags->agg, "Aggregates, e.g. 'sum(v1), mean(v3) as m, count(*)'")
      ->required();
  command->add_option("-o,--output", flags->output, "Output file (.parquet or .csv)")->required();
  command->add_option("--partitions", flags->partitions,
                      "Hash partitions of the merge: N or MIN..MAX (default max(cores, rows / "
                      "500,000))");
  command->add_flag("--page-index", flags->page_index,
                    "Write a page index (ColumnIndex/OffsetIndex) into Parquet output");
  job->Add(*command, "1GiB");
  return [flags, job] { return RunGroupByCommand(*flags, *job); };
}

}  // namespace sluice::cli
