#include "sluice/cli/sort_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/cli/csv_flags.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/shuffle_submit.h"
#include "sluice/cli/where_flag.h"
#include "sluice/flow/report_file.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/sort_output.h"
#include "sluice/ops/sort/top_n.h"
#include "sluice/ops/table_files.h"

namespace sluice::cli {
namespace {

struct SortFlags {
  std::vector<std::string> inputs;
  std::string by;
  std::string output;
  int64_t top = -1;
  std::vector<std::string> per;
  std::string spill_dir;
  std::string partitions;  // with --submit: the reduce tasks, "N" or "MIN..MAX"
  CsvFlags csv;
  std::string where;
};

void WriteReport(const std::string& path, const nlohmann::json& report) {
  if (!path.empty()) WriteReportFile(report, path);  // JSON, or the HTML page for .html
}

int RunTopNPerGroup(const SortFlags& flags, const JobFlags& job, const RunOptions& run,
                    const TableScan& scan, const std::vector<SortKey>& keys) {
  TopNOptions options;
  options.groups = flags.per;
  options.order = keys;
  options.n = flags.top;
  options.run = run;
  // The ranking pass decodes only the group and order columns (Parquet; CSV is parsed whole).
  std::vector<std::string> ranked = flags.per;
  for (const SortKey& k : keys) ranked.push_back(k.column);
  const std::shared_ptr<TableScan> rank_scan =
      OpenTableInputs(flags.inputs, flags.csv.ToOptions(), ranked, flags.where);
  if (rank_scan->schema()->num_fields() < scan.schema()->num_fields()) {
    options.rank_scan = rank_scan.get();
  }
  // The ranking pass reads every unit, so its scan counts what the filter did.
  const TableScan& ranking = options.rank_scan != nullptr ? *rank_scan : scan;
  const parquet::ParquetWriteOptions write_options = TakeWriterShare(options.run.memory_budget);
  auto writer = TableFileWriter::Open(flags.output, scan.schema(), write_options);
  TopNResult result =
      TopNPerGroup(scan, options, [&writer](const RecordBatch& b) { writer->Write(b); });
  writer->Close();
  const double seconds = result.scan_report.wall_seconds + result.merge_report.wall_seconds +
                         result.gather_report.wall_seconds;
  WriteReport(job.report, nlohmann::json{{"command", "sort"},
                                         {"top", flags.top},
                                         {"per", flags.per},
                                         {"by", FormatSortKeys(keys)},
                                         {"input_rows", result.input_rows},
                                         {"groups", result.groups},
                                         {"output_rows", result.output_rows},
                                         {"candidate_rows", result.candidate_rows},
                                         {"state_bytes", result.state_bytes},
                                         {"passes", result.passes},
                                         {"abandoned_passes", result.abandoned_passes},
                                         {"gather_windows", result.gather_windows},
                                         {"held_budget", result.held_budget},
                                         {"peak_held_bytes", result.peak_held_bytes},
                                         {"overdrafts", result.overdrafts},
                                         {"seconds", seconds},
                                         {"where", WhereReport(ranking)},
                                         {"scan", result.scan_report.ToJson()},
                                         {"merge", result.merge_report.ToJson()},
                                         {"gather", result.gather_report.ToJson()}});
  fmt::print("{}{}", result.scan_report.Summary(), WhereSummary(ranking));
  fmt::print(
      "sort: top {} by {} per {}: {} rows into {} groups, {} rows out in {:.2f} s ({} ranking "
      "pass(es), top-N state {}, memory peak {} of {}); wrote {}\n",
      flags.top, FormatSortKeys(keys), fmt::join(flags.per, ","), result.input_rows, result.groups,
      result.output_rows, seconds, result.passes, FormatBytes(result.state_bytes),
      FormatBytes(result.peak_held_bytes), FormatBytes(result.held_budget), flags.output);
  return 0;
}

// --submit: the sort as a staged job across hosts (a sample of the keys, then range slices); a
// top-N as map tasks that keep their own top N rows (of each group) and reduce tasks that keep
// the top N of those.
int SubmitSort(const SortFlags& flags, const ShuffleSubmitFlags& submit) {
  if (!flags.spill_dir.empty()) {
    throw InvalidArgument("--spill-dir is each worker's own with --submit; drop it here");
  }
  shuffle::ShuffleSpec spec;
  spec.kind = shuffle::kSortJobKind;
  spec.order_by = flags.by;  // ParseSortKeys read it (FormatSortKeys is for people)
  spec.where = flags.where;
  spec.top = flags.top;
  spec.per = flags.per;
  spec.output = flags.output;
  ShuffleFlags shuffle;
  shuffle.partitions = flags.partitions;
  return submit.Submit(spec, flags.inputs, shuffle);
}

int RunSortCommand(const SortFlags& flags, const ShuffleSubmitFlags& submit, const JobFlags& job) {
  CheckTableOutput(flags.output);
  const std::vector<SortKey> keys = ParseSortKeys(flags.by);
  if (!flags.per.empty() && flags.top < 1) {
    throw InvalidArgument("--per needs --top N (N >= 1): the rows to keep per group");
  }
  if (flags.top == 0 || flags.top < -1) throw InvalidArgument("--top wants N >= 1");
  if (submit.submit) return SubmitSort(flags, submit);  // --by was checked above
  if (!flags.partitions.empty()) throw InvalidArgument("--partitions is for --submit");
  std::vector<std::string> paths = flags.inputs;
  paths.push_back(flags.output);
  const RunOptions run = job.ToRunOptions(InstallInterruptHandler(), paths);
  auto scan = OpenTableInputs(flags.inputs, flags.csv.ToOptions(), {}, flags.where);
  ResolveSortKeys(*scan->schema(), keys);
  if (!flags.per.empty()) return RunTopNPerGroup(flags, job, run, *scan, keys);

  SortOptions options;
  options.keys = keys;
  options.limit = flags.top;
  options.spill_dir = flags.spill_dir;
  options.run = run;
  const parquet::ParquetWriteOptions write_options = TakeWriterShare(options.run.memory_budget);
  auto writer =
      SortOutput::Open(flags.output, scan->schema(), write_options, options.run.cpu_threads);
  SortStats stats = SortTable(*scan, options, [&](const RecordBatch& b) { writer->Write(b); });
  writer->Close();
  nlohmann::json report = stats.ToJson();
  report["command"] = "sort";
  report["by"] = FormatSortKeys(keys);
  if (!flags.where.empty()) report["where"] = WhereReport(*scan);
  WriteReport(job.report, report);
  fmt::print("{}{}", stats.scan_report.Summary(), WhereSummary(*scan));
  fmt::print(
      "sort: {} rows by {} in {:.2f} s: {} sorted runs, {} spilled ({}), {} intermediate "
      "merges, final merge of {}; sort memory peak {} of {}; wrote {} rows to {}\n",
      stats.input_rows, FormatSortKeys(keys), stats.seconds, stats.runs, stats.spilled_runs,
      FormatBytes(stats.spilled_bytes), stats.intermediate_merges, stats.final_fan_in,
      FormatBytes(stats.peak_held_bytes), FormatBytes(stats.held_budget), stats.output_rows,
      flags.output);
  return 0;
}

}  // namespace

std::function<int()> AddSortCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "sort",
      "Sort rows by columns (external merge sort: sorted runs spill to --spill-dir when they do "
      "not fit --memory). Nulls sort last and NaN above +inf, as DuckDB's ORDER BY does; rows "
      "with equal keys keep their input order. --top N keeps the first N rows; with --per "
      "COLS, the first N rows of each group (SQL: row_number() OVER (PARTITION BY COLS ORDER BY "
      "...) <= N), e.g. --by v3:desc --top 2 --per id6. Reads Parquet or CSV files (header "
      "line, types inferred); writes OUT as Parquet or CSV by its extension.");
  auto flags = std::make_shared<SortFlags>();
  auto job = std::make_shared<JobFlags>();
  command->add_option("inputs", flags->inputs, "Parquet or CSV files, globs or directories")
      ->required();
  command
      ->add_option("--by", flags->by,
                   "Sort columns, each ascending or :desc, e.g. 'v3:desc,id1' (required)")
      ->required();
  command->add_option("-o,--output", flags->output, "Output file (.parquet or .csv)")->required();
  command->add_option("--top", flags->top, "Keep only the first N rows (of each group with --per)");
  command->add_option("--per", flags->per, "Group columns for --top (comma-separated)")
      ->delimiter(',');
  AddWhereOption(*command, flags->where);
  command->add_option("--spill-dir", flags->spill_dir,
                      "Where sorted runs spill (a private directory, removed at the end; "
                      "default: the system temp directory)");
  command->add_option("--partitions", flags->partitions,
                      "With --submit: reduce tasks, N or MIN..MAX (default: up to 64, as few as "
                      "the map outputs' sizes call for)");
  flags->csv.Add(*command);
  auto submit = std::make_shared<ShuffleSubmitFlags>();
  submit->Add(*command);
  job->Add(*command);
  return [flags, submit, job] { return RunSortCommand(*flags, *submit, *job); };
}

}  // namespace sluice::cli
