#include "sluice/cli/distinct_command.h"

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
#include "sluice/ops/distinct.h"
#include "sluice/ops/table_files.h"

namespace sluice::cli {
namespace {

struct DistinctFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> by;
  std::string output;
  CsvFlags csv;
  std::string where;
};

int RunDistinctCommand(const DistinctFlags& flags, const ShuffleFlags& shuffle,
                       const ShuffleSubmitFlags& submit, const JobFlags& job) {
  if (submit.submit) {
    shuffle::ShuffleSpec spec;
    spec.kind = shuffle::kDistinctJobKind;
    spec.keys = flags.by;
    spec.where = flags.where;
    spec.output = flags.output;
    return submit.Submit(spec, flags.inputs, shuffle);
  }
  CheckTableOutput(flags.output);
  GroupByOptions options;
  shuffle.Apply(options);
  std::vector<std::string> paths = flags.inputs;
  paths.push_back(flags.output);
  options.run = job.ToRunOptions(InstallInterruptHandler(), paths);
  auto scan = OpenTableInputs(flags.inputs, flags.csv.ToOptions(), {}, flags.where);
  scan->KeepDictionaries(DictionaryKeyColumns(GroupBySpec{.keys = flags.by}));
  // The writer holds its share of the budget; the distinct runs in the rest and hands each
  // batch to the writer as a merge task produces it.
  auto writer = TableFileWriter::Open(flags.output, scan->schema(),
                                      TakeWriterShare(options.run.memory_budget));
  GroupByResult result =
      RunDistinct(*scan, flags.by, options, [&writer](RecordBatch batch) { writer->Write(batch); });
  writer->Close();
  PrintGroupByOutcome("distinct", result, *scan, flags.output, job.report);
  return 0;
}

}  // namespace

std::function<int()> AddDistinctCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "distinct",
      "Distinct rows of Parquet or CSV files; with --by, one row per distinct key (the first in "
      "input order), i.e. deduplicate by those columns. Nulls are equal to each other, as in "
      "SQL's DISTINCT. Writes OUT as Parquet or CSV by its extension; runs inside --memory, "
      "spilling to --spill-dir when the distinct rows do not fit.");
  auto flags = std::make_shared<DistinctFlags>();
  auto shuffle = std::make_shared<ShuffleFlags>();
  auto job = std::make_shared<JobFlags>();
  command->add_option("inputs", flags->inputs, "Parquet or CSV files, globs or directories")
      ->required();
  command->add_option("--by", flags->by, "Deduplicate by these columns (comma-separated)")
      ->delimiter(',');
  command->add_option("-o,--output", flags->output, "Output file (.parquet or .csv)")->required();
  flags->csv.Add(*command);
  AddWhereOption(*command, flags->where);
  shuffle->Add(*command);
  auto submit = std::make_shared<ShuffleSubmitFlags>();
  submit->Add(*command);
  job->Add(*command);
  return
      [flags, shuffle, submit, job] { return RunDistinctCommand(*flags, *shuffle, *submit, *job); };
}

}  // namespace sluice::cli
