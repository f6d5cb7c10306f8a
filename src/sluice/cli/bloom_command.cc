#include "sluice/cli/bloom_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/cli/csv_flags.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/where_flag.h"
#include "sluice/flow/report_file.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/bloom/bloom_job.h"
#include "sluice/jobs/bloom/bloom_ledger_job.h"

namespace sluice::cli {
namespace {

struct BloomFlags {
  std::vector<std::string> inputs;
  std::string column;
  double fpr = 0.01;
  int64_t expected_items = 0;
  std::string sizing = "auto";
  std::string output;
  CsvFlags csv;
  bool skip_bad_rows = false;
  std::string chunk_size = "4MiB";
  std::string where;
};

// --submit: the job defined in the ledger (jobs/bloom/bloom_ledger_job.h) instead of run here.
struct SubmitFlags {
  bool submit = false;
  LedgerFlags ledger;
  std::string work_dir;
  std::string map_size = "256MiB";

  void Add(CLI::App& command) {
    command.add_flag("--submit", submit,
                     "Define the job in the ledger (--ledger or $SLUICE_LEDGER), its filter sized "
                     "here, and build nothing here: `sluice worker --job NAME` on any hosts builds "
                     "partial filters of a few files each and ORs them into OUT");
    ledger.Add(command);
    command.add_option("--work-dir", work_dir,
                       "With --submit: where partial filters go between hosts, a directory every "
                       "host sees or an s3:// prefix; removed when the job is done (default: "
                       "OUT.sluice-bloom)");
    command.add_option("--map-size", map_size, "With --submit: input bytes per partial filter")
        ->capture_default_str();
  }
};

BloomSizing SizingOf(const std::string& sizing) {
  return sizing == "count"      ? BloomSizing::kCount
         : sizing == "estimate" ? BloomSizing::kEstimate
                                : BloomSizing::kAuto;
}

int64_t ChunkBytes(const BloomFlags& f) {
  try {
    return ParseBytes(f.chunk_size);
  } catch (Error& e) {
    throw std::move(e).With("flag", "--chunk-size");
  }
}

// The spec's CSV options as the flags give them (validated through CsvFlags::ToOptions).
BloomCsvSpec CsvSpecOf(const BloomFlags& f) {
  const csv::CsvReadOptions options = f.csv.ToOptions();
  BloomCsvSpec c;
  c.delimiter = options.dialect.delimiter;
  c.quote = options.dialect.quote;
  c.escape = options.dialect.escape;
  c.comment = options.dialect.comment;
  c.header = options.dialect.header;
  c.lenient_quotes = options.dialect.lenient_quotes;
  c.null_values = options.dialect.null_values;
  c.schema = f.csv.schema;
  c.skip_bad_rows = f.skip_bad_rows;
  c.chunk_bytes = ChunkBytes(f);
  return c;
}

int Submit(const BloomFlags& f, const SubmitFlags& s, const JobFlags& job) {
  BloomSpec spec;
  spec.column = f.column;
  spec.fpr = f.fpr;
  spec.where = f.where;
  spec.csv = CsvSpecOf(f);
  spec.expected_items = f.expected_items;
  spec.output = f.output;
  spec.work_dir = s.work_dir.empty() ? BloomSpec::DefaultWorkDir(f.output) : s.work_dir;
  try {
    spec.partial_bytes = ParseBytes(s.map_size);
  } catch (const Error& e) {
    throw InvalidArgument("--map-size: {}", e.what());
  }
  // Before the first s3:// URL is touched: the S3 file system takes its options from here.
  std::vector<std::string> paths = f.inputs;
  paths.insert(paths.end(), {f.output, spec.work_dir});
  RunOptions run = job.ToRunOptions(InstallInterruptHandler(), paths);
  run.report_path.clear();
  ResolveBloomInputs(f.inputs, spec);
  const std::string note = SizeBloomSpec(spec, SizingOf(f.sizing), run);
  const SubmittedBloom submitted = SubmitBloom(s.ledger.Url(), spec);
  fmt::print("bloom: {}\n", note);
  fmt::print(
      "submitted job {}: {} partial partitions listed{}; run `sluice worker --job '{}' --ledger "
      "URL` on any host to run it\n",
      submitted.job_name, submitted.partials, submitted.resumed ? " (job taken up)" : "",
      submitted.job_name);
  return 0;
}

struct CheckFlags {
  std::string file;
  std::vector<std::string> values;
  bool count = false;
};

int RunBuild(const BloomFlags& f, const JobFlags& job) {
  std::vector<std::string> paths = f.inputs;
  paths.push_back(f.output);
  RunOptions run = job.ToRunOptions(InstallInterruptHandler(), paths);
  // With a filter the report gains its statistics, written here after the run.
  if (!f.where.empty()) run.report_path.clear();
  BloomJobOptions options;
  options.inputs = f.inputs;
  options.column = f.column;
  options.fpr = f.fpr;
  options.expected_items = f.expected_items;
  options.sizing = SizingOf(f.sizing);
  options.output = f.output;
  options.where = f.where;
  options.csv = f.csv.ToOptions();
  options.csv.bad_rows = f.skip_bad_rows ? csv::BadRowPolicy::kSkip : csv::BadRowPolicy::kError;
  options.csv.chunk_bytes = static_cast<size_t>(ChunkBytes(f));
  BloomJobResult r = RunBloomJob(options, run);
  if (!f.where.empty() && !job.report.empty()) {
    nlohmann::json report = r.report.ToJson();
    report["where"] = WhereReport(*r.scan);
    WriteReportFile(report, job.report);
  }
  fmt::print("{}", r.report.Summary());
  if (r.scan != nullptr) fmt::print("{}", WhereSummary(*r.scan));
  fmt::print("bloom: {}\n", r.sizing_note);
  fmt::print(
      "bloom: {} files ({}), {} rows, {} values inserted, {} nulls, {} bad rows skipped; filter "
      "{} ({} blocks, {} partial filters) in {:.2f} s ({}/s)\n",
      r.input_files, FormatBytes(r.input_bytes), r.rows, r.file.items, r.nulls, r.bad_rows,
      FormatBytes(static_cast<int64_t>(r.file.filter.num_bytes())), r.file.filter.num_blocks(),
      r.partial_filters, r.report.wall_seconds,
      FormatBytes(static_cast<int64_t>(static_cast<double>(r.input_bytes) /
                                       std::max(r.report.wall_seconds, 1e-9))));
  for (const std::string& example : r.bad_row_examples) {
    fmt::print(stderr, "bloom: skipped bad row: {}\n", example);
  }
  if (!f.output.empty()) fmt::print("bloom: wrote {}\n", f.output);
  return 0;
}

int RunCheck(const CheckFlags& f) {
  BloomFilterFile file = ReadBloomFilterFile(*fs::FileSystemFor(f.file), f.file);
  int64_t maybe = 0;
  std::string out;
  auto probe = [&](const std::string& value) {
    std::optional<uint64_t> hash = HashBloomValue(file.value_type, value);
    const bool hit = hash && file.filter.MightContain(*hash);
    maybe += hit;
    if (!f.count) {
      out += value;
      out += hit ? "\tmaybe\n" : "\tno\n";
      if (out.size() > (1 << 16)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  };
  const bool from_stdin = f.values.empty() || (f.values.size() == 1 && f.values[0] == "-");
  if (from_stdin) {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      probe(line);
    }
  } else {
    for (const std::string& v : f.values) probe(v);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (f.count) fmt::print("{}\n", maybe);
  return 0;
}

}  // namespace

std::function<int()> AddBloomCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "bloom",
      "Build a Bloom filter (Parquet's split-block layout, XXH64) over one column of many CSV "
      "(or Parquet) files, in parallel within a memory budget; `bloom check` probes it. A column "
      "given as int32 or int64 by --schema hashes its 4- or 8-byte values as Parquet does; "
      "a column without a --schema type hashes its text.");
  auto flags = std::make_shared<BloomFlags>();
  auto job = std::make_shared<JobFlags>();
  auto check = std::make_shared<CheckFlags>();
  auto submit = std::make_shared<SubmitFlags>();
  job->Add(*command);
  submit->Add(*command);
  command->add_option("inputs", flags->inputs,
                      "CSV files, globs or directories (gzip/zstd too), or Parquet files "
                      "(*.parquet)");
  command->add_option("--column", flags->column, "The column whose values go into the filter");
  command->add_option("--fpr", flags->fpr, "Target false-positive rate")->capture_default_str();
  command->add_option("--expected-items", flags->expected_items,
                      "Values to size the filter for (default: estimated, or counted for "
                      "compressed input)");
  command
      ->add_option("--sizing", flags->sizing,
                   "Without --expected-items: auto, estimate (from sizes) or count (a pass)")
      ->check(CLI::IsMember({"auto", "estimate", "count"}))
      ->capture_default_str();
  command->add_option("-o,--output", flags->output, "Write the filter here");
  flags->csv.Add(*command);
  command->add_flag("--skip-bad-rows", flags->skip_bad_rows,
                    "Skip malformed rows (counted, the first few reported) instead of failing");
  command->add_option("--chunk-size", flags->chunk_size, "Bytes per parse task")
      ->capture_default_str();
  AddWhereOption(*command, flags->where);

  CLI::App* check_cmd = command->add_subcommand(
      "check", "Probe a filter: prints VALUE<TAB>maybe|no per value, or --count");
  check_cmd->add_option("file", check->file, "The .bloom file")->required();
  check_cmd->add_option("values", check->values, "Values to probe; '-' or none reads stdin");
  check_cmd->add_flag("--count", check->count, "Print only how many values were maybe");

  return [flags, job, check, check_cmd, submit] {
    if (check_cmd->parsed()) return RunCheck(*check);
    if (flags->inputs.empty()) throw InvalidArgument("give the CSV files to read");
    if (flags->column.empty()) throw InvalidArgument("--column is required");
    if (!(flags->fpr > 0 && flags->fpr < 1)) {
      throw InvalidArgument("--fpr must be between 0 and 1, not {}", flags->fpr);
    }
    if (flags->output.empty()) throw InvalidArgument("-o/--output is required");
    if (submit->submit) return Submit(*flags, *submit, *job);
    return RunBuild(*flags, *job);
  };
}

}  // namespace sluice::cli
