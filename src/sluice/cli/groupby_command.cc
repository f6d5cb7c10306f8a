#include "sluice/cli/groupby_command.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/cli/csv_flags.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/shuffle_flags.h"
#include "sluice/cli/shuffle_submit.h"
#include "sluice/cli/where_flag.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/group_by.h"
#include "sluice/ops/table_files.h"

namespace sluice::cli {
namespace {

struct GroupByFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> by;
  std::string agg;
  std::string output;
  CsvFlags csv;
  std::string where;
  bool page_index = false;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int SubmitGroupBy(const GroupByFlags& flags, const ShuffleFlags& shuffle,
                  const ShuffleSubmitFlags& submit) {
  if (flags.page_index) throw InvalidArgument("--page-index is not offered with --submit");
  shuffle::ShuffleSpec spec;
  spec.kind = shuffle::kGroupByJobKind;
  spec.keys = flags.by;
  spec.aggregates = flags.agg;
  ParseAggregateCalls(flags.agg);  // a bad --agg is refused here, not by every worker
  spec.where = flags.where;
  spec.output = flags.output;
  return submit.Submit(spec, flags.inputs, shuffle);
}

int RunGroupByCommand(const GroupByFlags& flags, const ShuffleFlags& shuffle,
                      const ShuffleSubmitFlags& submit, const JobFlags& job) {
  if (submit.submit) return SubmitGroupBy(flags, shuffle, submit);
  CheckTableOutput(flags.output);
  const bool csv = EndsWith(flags.output, ".csv");
  if (csv && flags.page_index) {
    throw InvalidArgument("--page-index is for Parquet output").With("output", flags.output);
  }
  GroupBySpec spec;
  spec.keys = flags.by;
  spec.aggregates = ParseAggregateCalls(flags.agg);
  GroupByOptions options;
  shuffle.Apply(options);
  std::vector<std::string> paths = flags.inputs;
  paths.push_back(flags.output);
  options.run = job.ToRunOptions(InstallInterruptHandler(), paths);
  // Parquet inputs decode only the columns the query reads.
  std::vector<std::string> columns = spec.keys;
  for (const AggregateCall& call : spec.aggregates) {
    columns.insert(columns.end(), call.columns.begin(), call.columns.end());
  }
  auto scan = OpenTableInputs(flags.inputs, flags.csv.ToOptions(), columns, flags.where);
  scan->KeepDictionaries(DictionaryKeyColumns(spec));
  // The writer holds its share of the budget; the group-by runs in the rest and hands each
  // batch to the writer as a merge task produces it.
  parquet::ParquetWriteOptions write_options = TakeWriterShare(options.run.memory_budget);
  write_options.page_index = flags.page_index;
  auto writer = TableFileWriter::Open(flags.output, GroupByOutputSchema(*scan->schema(), spec),
                                      write_options);
  GroupByResult result =
      RunGroupBy(*scan, spec, options, [&writer](RecordBatch batch) { writer->Write(batch); });
  writer->Close();
  PrintGroupByOutcome("groupby", result, *scan, flags.output, job.report);
  return 0;
}

}  // namespace

std::function<int()> AddGroupByCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "groupby",
      "Group rows by key columns and aggregate: count(*), count, count_distinct, sum, min, max, "
      "mean (avg), var, stddev, median, first, last, corr(x, y). Nulls form their own group, as "
      "in SQL. Reads Parquet or CSV files (header line, types inferred); writes OUT as Parquet or "
      "CSV by its extension. Runs inside --memory: group state that does not fit spills to "
      "--spill-dir and is merged partition by partition.");
  auto flags = std::make_shared<GroupByFlags>();
  auto shuffle = std::make_shared<ShuffleFlags>();
  auto job = std::make_shared<JobFlags>();
  command->add_option("inputs", flags->inputs, "Parquet or CSV files, globs or directories")
      ->required();
  flags->csv.Add(*command);
  command->add_option("--by", flags->by, "Key columns (comma-separated; none: one group)")
      ->delimiter(',');
  command->add_option("--agg", flags->agg, "Aggregates, e.g. 'sum(v1), mean(v3) as m, count(*)'")
      ->required();
  command->add_option("-o,--output", flags->output, "Output file (.parquet or .csv)")->required();
  AddWhereOption(*command, flags->where);
  command->add_flag("--page-index", flags->page_index,
                    "Write a page index (ColumnIndex/OffsetIndex) into Parquet output");
  shuffle->Add(*command);
  auto submit = std::make_shared<ShuffleSubmitFlags>();
  submit->Add(*command);
  job->Add(*command);
  return
      [flags, shuffle, submit, job] { return RunGroupByCommand(*flags, *shuffle, *submit, *job); };
}

}  // namespace sluice::cli
