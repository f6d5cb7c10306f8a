#include "sluice/api/table.h"

#include "sluice/ops/distinct.h"
#include "sluice/ops/group_by.h"
#include "sluice/ops/join/hash_join.h"
#include "sluice/ops/sort/external_sort.h"
#include "sluice/ops/sort/top_n.h"
#include "sluice/ops/table_files.h"

namespace sluice {
namespace {

GroupByOptions ToGroupBy(const ExecOptions& options) {
  GroupByOptions g;
  g.run = options.run;
  g.spill_dir = options.spill_dir;
  g.min_partitions = options.min_partitions;
  g.max_partitions = options.max_partitions;
  return g;
}

std::shared_ptr<TableScan> Scanned(std::shared_ptr<const Schema> schema,
                                   std::vector<RecordBatch> batches) {
  return TableScan::FromBatches(std::move(schema), std::move(batches));
}

}  // namespace

Table Table::Scan(std::vector<std::string> patterns, std::string csv_delimiter) {
  return Table([patterns = std::move(patterns), csv_delimiter = std::move(csv_delimiter)](
                   const ExecOptions&) { return OpenTableInputs(patterns, csv_delimiter); },
               ExecOptions{});
}

Table Table::FromBatches(std::shared_ptr<const Schema> schema, std::vector<RecordBatch> batches) {
  auto scan = TableScan::FromBatches(std::move(schema), std::move(batches));
  return Table([scan](const ExecOptions&) { return scan; }, ExecOptions{});
}

Table Table::With(ExecOptions options) const { return Table(produce_, std::move(options)); }

Table Table::Then(
    std::function<std::shared_ptr<TableScan>(const TableScan&, const ExecOptions&)> run) const {
  return Table([produce = produce_, run = std::move(run)](
                   const ExecOptions& options) { return run(*produce(options), options); },
               options_);
}

GroupedTable Table::GroupBy(std::vector<std::string> keys) const {
  return GroupedTable(*this, std::move(keys));
}

Table GroupedTable::Agg(const std::string& aggregates) const {
  return Agg(ParseAggregateCalls(aggregates));
}

Table GroupedTable::Agg(std::vector<AggregateCall> aggregates) const {
  GroupBySpec spec;
  spec.keys = keys_;
  spec.aggregates = std::move(aggregates);
  return table_.Then([spec](const TableScan& in, const ExecOptions& options) {
    GroupByResult r = RunGroupBy(in, spec, ToGroupBy(options));
    return Scanned(r.schema, std::move(r.batches));
  });
}

Table Table::Distinct(std::vector<std::string> by) const {
  return Then([by = std::move(by)](const TableScan& in, const ExecOptions& options) {
    GroupByResult r = RunDistinct(in, by, ToGroupBy(options));
    return Scanned(r.schema, std::move(r.batches));
  });
}

Table Table::Join(const Table& right, std::vector<std::string> on, JoinKind kind) const {
  JoinSpec spec;
  spec.left_keys = std::move(on);
  spec.kind = kind;
  return Then([right, spec](const TableScan& left, const ExecOptions& options) {
    JoinOptions j;
    j.run = options.run;
    j.spill_dir = options.spill_dir;
    j.min_partitions = options.min_partitions;
    j.max_partitions = options.max_partitions;
    JoinResult r = RunHashJoin(left, *right.produce_(right.options_), spec, j);
    return Scanned(r.schema, std::move(r.batches));
  });
}

Table Table::Sort(std::vector<SortKey> keys, int64_t limit) const {
  return Then([keys = std::move(keys), limit](const TableScan& in, const ExecOptions& options) {
    SortOptions s;
    s.keys = keys;
    s.limit = limit;
    s.run = options.run;
    s.spill_dir = options.spill_dir;
    std::vector<RecordBatch> batches;
    SortTable(in, s, [&batches](const RecordBatch& b) { batches.push_back(b); });
    return Scanned(in.schema(), std::move(batches));
  });
}

Table Table::TopN(std::vector<std::string> per, std::vector<SortKey> order, int64_t n) const {
  return Then([per = std::move(per), order = std::move(order), n](const TableScan& in,
                                                                  const ExecOptions& options) {
    TopNOptions t;
    t.groups = per;
    t.order = order;
    t.n = n;
    t.run = options.run;
    TopNResult r = TopNPerGroup(in, t);
    return Scanned(r.schema, std::move(r.batches));
  });
}

std::vector<RecordBatch> Table::Collect(std::shared_ptr<const Schema>* schema) const {
  std::shared_ptr<TableScan> scan = produce_(options_);
  if (schema != nullptr) *schema = scan->schema();
  std::vector<RecordBatch> batches;
  for (const ScanUnit& unit : scan->units()) {
    for (RecordBatch& b : scan->Read(unit)) batches.push_back(std::move(b));
  }
  return batches;
}

void Table::Write(const std::string& path, const parquet::ParquetWriteOptions& parquet) const {
  CheckTableOutput(path);
  std::shared_ptr<TableScan> scan = produce_(options_);
  auto writer = TableFileWriter::Open(path, scan->schema(), parquet);
  for (const ScanUnit& unit : scan->units()) {
    for (const RecordBatch& b : scan->Read(unit)) writer->Write(b);
  }
  writer->Close();
}

}  // namespace sluice
