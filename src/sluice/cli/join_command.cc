#include "sluice/cli/join_command.h"

#include <fmt/format.h>

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
#include "sluice/cli/shuffle_flags.h"
#include "sluice/cli/shuffle_submit.h"
#include "sluice/cli/where_flag.h"
#include "sluice/flow/report_file.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/shuffle/shuffle_job.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/ops/table_files.h"

namespace sluice::cli {
namespace {

struct JoinFlags {
  std::string left;
  std::string right;
  std::vector<std::string> on;
  std::string how = "inner";
  std::string output;
  std::string partitions;
  std::string spill_dir;
  CsvFlags csv;
  std::string suffix = "_right";
  std::string left_where;
  std::string right_where;
  bool no_skew = false;
};

// "id" joins id with id; "id=user_id" joins the left's id with the right's user_id.
JoinSpec SpecOf(const JoinFlags& flags) {
  JoinSpec spec;
  spec.kind = ParseJoinKind(flags.how);
  spec.suffix = flags.suffix;
  for (const std::string& key : flags.on) {
    const size_t eq = key.find('=');
    if (key.empty() || eq == 0 || eq + 1 == key.size()) {
      throw InvalidArgument("--on wants KEY or LEFT_KEY=RIGHT_KEY, not '{}'", key);
    }
    spec.left_keys.push_back(key.substr(0, eq));
    spec.right_keys.push_back(eq == std::string::npos ? key : key.substr(eq + 1));
  }
  return spec;
}

void WriteReport(const std::string& path, const JoinResult& result, const TableScan& left,
                 const TableScan& right) {
  nlohmann::json pipelines = nlohmann::json::array();
  for (const RunReport& r : result.reports) pipelines.push_back(r.ToJson());
  nlohmann::json report = {{"join", result.ToJson()}, {"pipelines", std::move(pipelines)}};
  if (!left.where().empty() || !right.where().empty()) {
    report["where"] = {{"left", WhereReport(left)}, {"right", WhereReport(right)}};
  }
  WriteReportFile(report, path);
}

// --submit: the join as a staged job across hosts (both sides sliced by a hash of their keys).
int SubmitJoin(const JoinFlags& flags, const JoinSpec& join, const ShuffleSubmitFlags& submit) {
  if (!flags.spill_dir.empty()) {
    throw InvalidArgument("--spill-dir is each worker's own with --submit; drop it here");
  }
  shuffle::ShuffleSpec spec;
  spec.kind = shuffle::kJoinJobKind;
  spec.keys = join.left_keys;
  spec.right_keys = join.right_keys;
  spec.how = flags.how;
  spec.suffix = flags.suffix;
  spec.where = flags.left_where;
  spec.right_where = flags.right_where;
  spec.output = flags.output;
  shuffle::ResolveShuffleFiles({flags.right}, spec.right_inputs, spec.right_input_bytes);
  ShuffleFlags shuffle;
  shuffle.partitions = flags.partitions;
  return submit.Submit(spec, {flags.left}, shuffle);
}

int RunJoinCommand(const JoinFlags& flags, const ShuffleSubmitFlags& submit, const JobFlags& job) {
  const JoinSpec spec = SpecOf(flags);
  if (submit.submit) return SubmitJoin(flags, spec, submit);
  JoinOptions options;
  if (!flags.partitions.empty()) {
    std::tie(options.min_partitions, options.max_partitions) =
        ParsePartitionRange(flags.partitions);
  }
  options.spill_dir = flags.spill_dir;
  options.skew_splitting = !flags.no_skew;
  options.run =
      job.ToRunOptions(InstallInterruptHandler(), {flags.left, flags.right, flags.output});
  const std::string report_path = options.run.report_path;
  CheckTableOutput(flags.output);
  auto left = OpenTableInputs({flags.left}, flags.csv.ToOptions(), {}, flags.left_where);
  auto right = OpenTableInputs({flags.right}, flags.csv.ToOptions(), {}, flags.right_where);
  // Resolved first so a bad key fails before the output file is created.
  const JoinPlan plan(*left->schema(), *right->schema(), spec);
  // The writer buffers a row group of its share of the budget; the join runs in the rest.
  auto writer = TableFileWriter::Open(flags.output, plan.output_schema(),
                                      TakeWriterShare(options.run.memory_budget));
  options.sink = [&writer](const RecordBatch& batch) { writer->Write(batch); };
  JoinResult result = RunHashJoin(*left, *right, spec, options);
  writer->Close();
  if (!report_path.empty()) WriteReport(report_path, result, *left, *right);
  double seconds = 0;
  int64_t peak = 0;
  for (const RunReport& r : result.reports) {
    seconds += r.wall_seconds;
    peak = std::max(peak, r.peak_memory);
  }
  if (!result.reports.empty()) fmt::print("{}", result.reports.back().Summary());
  fmt::print("{}{}", WhereSummary(*left, "--left-where"), WhereSummary(*right, "--right-where"));
  std::string skew;
  if (!result.skewed_partitions.empty()) {
    skew = fmt::format("; split skewed partitions {}", fmt::join(result.skewed_partitions, ", "));
  }
  fmt::print(
      "join ({}): {} left rows, {} right rows -> {} rows in {:.2f} s; built the {} side {}; "
      "{} partitions; spilled {} in {} files; join memory reserved at peak {} of {} (working space "
      "included, used or not), batches in flight peak "
      "{}{}; wrote {}\n",
      JoinKindName(spec.kind), result.left_rows, result.right_rows, result.output_rows, seconds,
      result.build_side == JoinSide::kLeft ? "left" : "right",
      result.strategy == "grace" ? "by partitions (Grace)" : "in memory", result.partitions,
      FormatBytes(result.spilled_bytes), result.spill_files, FormatBytes(result.peak_state_bytes),
      FormatBytes(result.state_budget), FormatBytes(peak), skew, flags.output);
  return 0;
}

}  // namespace

std::function<int()> AddJoinCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "join",
      "Hash join of two tables on key columns, as SQL's JOIN ... USING (keys): the output has the "
      "left columns (each key once), then the right columns (a name already taken gets --suffix); "
      "semi and anti joins output the left columns only. Null keys match nothing, but outer joins "
      "keep their rows. The smaller side is built in memory when it fits --memory; otherwise both "
      "sides are hash-partitioned into spill files under --spill-dir (removed at the end, also on "
      "errors and Ctrl-C) and joined partition by partition; a skewed partition is split. Inputs "
      "are Parquet or CSV files (header line, types inferred); OUT is written as Parquet or CSV "
      "by its extension. --report FILE writes per-partition statistics and each pipeline's "
      "report as JSON.");
  auto flags = std::make_shared<JoinFlags>();
  auto job = std::make_shared<JobFlags>();
  command->add_option("left", flags->left, "Left table: a Parquet or CSV file, glob or directory")
      ->required();
  command
      ->add_option("right", flags->right, "Right table: a Parquet or CSV file, glob or directory")
      ->required();
  command
      ->add_option("--on", flags->on,
                   "Key columns, comma-separated; KEY=RIGHT_KEY when the names differ")
      ->delimiter(',')
      ->required();
  command->add_option("--how", flags->how, "inner, left, right, full, semi or anti")
      ->capture_default_str();
  command->add_option("-o,--output", flags->output, "Output file (.parquet or .csv)")->required();
  command->add_option("--partitions", flags->partitions,
                      "Shuffle partitions when spilling: N or MIN..MAX (default: max(cores, what "
                      "makes one partition fit a core's share of --memory))");
  command->add_option("--spill-dir", flags->spill_dir,
                      "Where spill files go (a private directory is made inside; default: the "
                      "system temp directory)");
  command->add_option("--suffix", flags->suffix, "Appended to right column names already taken")
      ->capture_default_str();
  command->add_flag("--no-skew-split", flags->no_skew,
                    "Do not split partitions more than 5x the median size");
  flags->csv.Add(*command);
  AddWhereOption(*command, flags->left_where, "--where,--left-where",
                 "left table's rows (filtered before the join)");
  AddWhereOption(*command, flags->right_where, "--right-where",
                 "right table's rows (filtered before the join)");
  auto submit = std::make_shared<ShuffleSubmitFlags>();
  submit->Add(*command);
  job->Add(*command);
  return [flags, submit, job] { return RunJoinCommand(*flags, *submit, *job); };
}

}  // namespace sluice::cli
