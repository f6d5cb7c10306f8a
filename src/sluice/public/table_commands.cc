// Each command as the CLI runs it (src/sluice/cli/<name>_command.cc), without the printing: open
// the inputs, open the output with its share of the budget, run the operator into it, close it.
#include "sluice/table_commands.h"

#include <chrono>
#include <memory>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/ops/aggregate.h"
#include "sluice/ops/distinct.h"
#include "sluice/ops/group_by.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/ops/sort/sort_output.h"
#include "sluice/ops/table_files.h"
#include "sluice/public/public_error.h"
#include "sluice/public/run_settings.h"

namespace sluice::api {
namespace {

// Runs `command` (which fills in the rows and spilled bytes) and times it, with the public errors.
template <typename Command>
TableResult Timed(Command&& command) {
  return CallWithPublicErrors([&] {
    const auto start = std::chrono::steady_clock::now();
    TableResult result = command();
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  });
}

// Opens `path` for `schema` with the writer's share of `memory_budget` (taken out of it), hands
// `run` a sink that writes there, and closes the output (renaming it onto `path`) after `run`.
template <typename Run>
auto WriteTableFile(const std::string& path, std::shared_ptr<const Schema> schema,
                    int64_t& memory_budget, Run&& run) {
  auto writer = TableFileWriter::Open(path, std::move(schema), TakeWriterShare(memory_budget));
  auto result = run([&writer](const RecordBatch& batch) { writer->Write(batch); });
  writer->Close();
  return result;
}

// The requests' CSV delimiter ("": "," or tab for .tsv); the other dialect options are the
// defaults.
csv::CsvReadOptions CsvOptionsOf(const std::string& delimiter) {
  csv::CsvReadOptions options;
  options.dialect.delimiter = csv::ParseDialectChar(delimiter, "the CSV delimiter", true);
  return options;
}

TableResult ResultOf(const GroupByResult& result) {
  return {.input_rows = result.input_rows,
          .output_rows = result.groups,
          .spilled_bytes = result.spilled_file_bytes};
}

}  // namespace

TableResult GroupBy(const GroupByRequest& request) {
  return Timed([&] {
    CheckTableOutput(request.output);
    GroupBySpec spec{.keys = request.by, .aggregates = ParseAggregateCalls(request.aggregates)};
    GroupByOptions options;
    options.spill_dir = request.run.spill_dir;
    options.run = RunOptionsOf(request.run);
    // Parquet inputs decode only the keys and the aggregates' columns.
    std::vector<std::string> columns = spec.keys;
    for (const AggregateCall& call : spec.aggregates) {
      columns.insert(columns.end(), call.columns.begin(), call.columns.end());
    }
    auto scan =
        OpenTableInputs(request.inputs, CsvOptionsOf(request.delimiter), columns, request.where);
    scan->KeepDictionaries(DictionaryKeyColumns(spec));
    return ResultOf(WriteTableFile(
        request.output, GroupByOutputSchema(*scan->schema(), spec), options.run.memory_budget,
        [&](auto sink) { return RunGroupBy(*scan, spec, options, sink); }));
  });
}

TableResult Distinct(const DistinctRequest& request) {
  return Timed([&] {
    CheckTableOutput(request.output);
    GroupByOptions options;
    options.spill_dir = request.run.spill_dir;
    options.run = RunOptionsOf(request.run);
    auto scan = OpenTableInputs(request.inputs, CsvOptionsOf(request.delimiter), {}, request.where);
    scan->KeepDictionaries(DictionaryKeyColumns(GroupBySpec{.keys = request.by}));
    return ResultOf(
        WriteTableFile(request.output, scan->schema(), options.run.memory_budget,
                       [&](auto sink) { return RunDistinct(*scan, request.by, options, sink); }));
  });
}

TableResult Sort(const SortRequest& request) {
  return Timed([&] {
    CheckTableOutput(request.output);
    if (request.limit == 0 || request.limit < -1) {
      throw InvalidArgument("limit wants N >= 1 rows, or -1 for all");
    }
    SortOptions options;
    options.keys = ParseSortKeys(request.by);
    options.limit = request.limit;
    options.spill_dir = request.run.spill_dir;
    options.run = RunOptionsOf(request.run);
    auto scan = OpenTableInputs(request.inputs, CsvOptionsOf(request.delimiter), {}, request.where);
    ResolveSortKeys(*scan->schema(), options.keys);
    // The sort's output encodes row groups on several threads, as `sluice sort` does.
    auto writer =
        SortOutput::Open(request.output, scan->schema(), TakeWriterShare(options.run.memory_budget),
                         options.run.cpu_threads);
    const SortStats stats =
        SortTable(*scan, options, [&writer](const RecordBatch& batch) { writer->Write(batch); });
    writer->Close();
    return TableResult{.input_rows = stats.input_rows,
                       .output_rows = stats.output_rows,
                       .spilled_bytes = stats.spilled_bytes};
  });
}

TableResult Join(const JoinRequest& request) {
  return Timed([&] {
    CheckTableOutput(request.output);
    const JoinSpec spec{.left_keys = request.left_keys,
                        .right_keys = request.right_keys,
                        .kind = ParseJoinKind(request.how),
                        .suffix = request.suffix};
    JoinOptions options;
    options.spill_dir = request.run.spill_dir;
    options.run = RunOptionsOf(request.run);
    auto left = OpenTableInputs({request.left}, CsvOptionsOf(request.delimiter));
    auto right = OpenTableInputs({request.right}, CsvOptionsOf(request.delimiter));
    const JoinPlan plan(*left->schema(), *right->schema(), spec);
    const JoinResult result = WriteTableFile(request.output, plan.output_schema(),
                                             options.run.memory_budget, [&](auto sink) {
                                               options.sink = sink;
                                               return RunHashJoin(*left, *right, spec, options);
                                             });
    return TableResult{.input_rows = result.left_rows + result.right_rows,
                       .output_rows = result.output_rows,
                       .spilled_bytes = result.spilled_bytes};
  });
}

}  // namespace sluice::api
